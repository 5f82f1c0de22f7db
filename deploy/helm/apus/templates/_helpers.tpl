{{/* The chart's name, or nameOverride. */}}
{{- define "apus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: resource names start with it. */}}
{{- define "apus.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "apus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "apus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "apus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "apus.labels" -}}
helm.sh/chart: {{ include "apus.chart" . }}
{{ include "apus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: apus
{{- end }}

{{- define "apus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "apus.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "apus.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The Secret holding the secret APUS_* variables: the user's own, or the chart's. */}}
{{- define "apus.secretName" -}}
{{- default (include "apus.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* A value of env or secretEnv as the string a variable holds. Numbers in values files arrive as
floats, which print as 1.073741824e+09; JSON prints them as written. */}}
{{- define "apus.string" -}}
{{- if kindIs "float64" . }}{{ toJson . }}{{ else }}{{ toString . }}{{ end }}
{{- end }}

{{/* Plain APUS_* variables, as the data of a ConfigMap. */}}
{{- define "apus.configData" -}}
APUS_HOST: "0.0.0.0"
APUS_PORT: {{ .Values.containerPort | quote }}
APUS_DATA_DIR: {{ .Values.dataDir.path | quote }}
APUS_LOG_FORMAT: "json"
APUS_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
APUS_SHUTDOWN_GRACE: {{ .Values.shutdownGraceSeconds | quote }}
{{- with .Values.config.publicURL }}
APUS_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- with .Values.config.modules }}
APUS_MODULES: {{ join "," . | quote }}
{{- end }}
{{- with .Values.config.trustedProxies }}
APUS_TRUSTED_PROXIES: {{ join "," . | quote }}
{{- end }}
{{- range $name, $value := .Values.env }}
{{ $name }}: {{ include "apus.string" $value | quote }}
{{- end }}
{{- end }}

{{/* Secret APUS_* variables, base64-encoded, as the data of a Secret. */}}
{{- define "apus.secretData" -}}
{{- $url := required "database.url is required (postgres://user:password@host:5432/database), or name a Secret holding APUS_DATABASE_URL in existingSecret" .Values.database.url }}
APUS_DATABASE_URL: {{ $url | b64enc | quote }}
{{- with .Values.database.replicaURLs }}
APUS_DATABASE_REPLICA_URLS: {{ join "," . | b64enc | quote }}
{{- end }}
{{- with .Values.objects.url }}
APUS_OBJECTS_URL: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.objects.accessKey }}
APUS_OBJECTS_ACCESS_KEY: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.objects.secretKey }}
APUS_OBJECTS_SECRET_KEY: {{ . | b64enc | quote }}
{{- end }}
{{- range $name, $value := .Values.secretEnv }}
{{ $name }}: {{ include "apus.string" $value | b64enc | quote }}
{{- end }}
{{- end }}

{{/* What the nodes and the migration Job share: the volumes the read-only root needs. */}}
{{- define "apus.volumeMounts" -}}
- name: data
  mountPath: {{ .Values.dataDir.path }}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "apus.volumes" -}}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.dataDir.sizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}
