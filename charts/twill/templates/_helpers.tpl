{{/*
Shared names and labels. twill is a cluster singleton (one CNI per cluster),
so object names are fixed rather than derived from the release name: the
ServiceAccount name is what the API server's audit and request logs show.
*/}}

{{- define "twill.labels" -}}
app.kubernetes.io/name: twill
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "twill.selectorLabels" -}}
app.kubernetes.io/name: twill
app.kubernetes.io/component: node
{{- end -}}

{{- define "twill.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The namespace confgen reads BGP password Secrets from (MODEL_TWILL_NAMESPACE). */}}
{{- define "twill.secretsNamespace" -}}
twill-system
{{- end -}}

{{/* Pool spec fields for .Values.ipPool.encapsulation. */}}
{{- define "twill.encapModes" -}}
{{- $e := .Values.ipPool.encapsulation -}}
ipipMode: {{ if eq $e "IPIP" }}Always{{ else if eq $e "IPIPCrossSubnet" }}CrossSubnet{{ else }}Never{{ end }}
vxlanMode: {{ if eq $e "VXLAN" }}Always{{ else if eq $e "VXLANCrossSubnet" }}CrossSubnet{{ else }}Never{{ end }}
{{- end -}}

{{/* The ipam-server container's socket on the host (/var/run/twill is a hostPath). */}}
{{- define "twill.ipamSocket" -}}
/var/run/twill/ipam.sock
{{- end -}}

{{/* The conflist install-cni writes to <confDir>/10-twill.conflist. */}}
{{- define "twill.conflist" -}}
{
  "cniVersion": "1.0.0",
  "name": "k8s-pod-network",
  "plugins": [
    {
      "type": "twill-cni",
      "mtu": {{ .Values.cni.mtu }},
      "log_level": {{ .Values.cni.logLevel | default "info" | quote }},
{{- if .Values.cni.logFile }}
      "log_file": {{ .Values.cni.logFile | quote }},
{{- end }}
      "kubernetes": {"kubeconfig": {{ printf "%s/twill-kubeconfig" .Values.cni.confDir | quote }}},
      "ipam": {
        "type": "twill-ipam",
{{- if .Values.ipamServer.enabled }}
        "socket": {{ include "twill.ipamSocket" . | quote }},
{{- end }}
        "log_level": {{ .Values.cni.logLevel | default "info" | quote }}
      }
    }
  ]
}
{{- end -}}
