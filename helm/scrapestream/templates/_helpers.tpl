{{/* Names and labels. */}}
{{- define "scrapestream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scrapestream.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "scrapestream.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "scrapestream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: scrapestream
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "gateway"). */}}
{{- define "scrapestream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scrapestream.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image, pinned: a tag other than "latest" is required, a digest is used when given. */}}
{{- define "scrapestream.image" -}}
{{- $tag := required "image.tag is required (pin a release tag)" .Values.image.tag | toString -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag must be a pinned release tag, not \"latest\"" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "scrapestream.secretName" -}}
{{- default (printf "%s-secrets" (include "scrapestream.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The ClickHouse URL with credentials (user and password URL-escaped); a server URL is required. */}}
{{- define "scrapestream.clickhouseUrl" -}}
{{- $url := required "clickhouse.url is required: the http(s) URL of a ClickHouse server" .Values.clickhouse.url -}}
{{- $parts := urlParse $url -}}
{{- if not (has $parts.scheme (list "http" "https")) -}}
{{- fail "clickhouse.url must be http(s)://host:port of a ClickHouse server; embedded chdb:// is for single-node local use only" -}}
{{- end -}}
{{- if .Values.clickhouse.username -}}
{{- printf "%s://%s:%s@%s%s" $parts.scheme (urlquery .Values.clickhouse.username) (urlquery .Values.clickhouse.password) $parts.host $parts.path -}}
{{- else -}}
{{- $url -}}
{{- end -}}
{{- end -}}

{{/* Non-secret settings of every component (the ConfigMap's data and the migration Job's env). */}}
{{- define "scrapestream.settings" -}}
SCRAPESTREAM_KAFKA_BOOTSTRAP: {{ .Values.kafka.bootstrap | quote }}
SCRAPESTREAM_KAFKA_PARTITIONS: {{ .Values.kafka.partitions | quote }}
SCRAPESTREAM_KAFKA_REPLICATION: {{ .Values.kafka.replication | quote }}
SCRAPESTREAM_SCHEMA_REGISTRY_URL: {{ .Values.schemaRegistry.url | quote }}
SCRAPESTREAM_CASSANDRA_HOSTS: {{ join "," .Values.cassandra.hosts | quote }}
SCRAPESTREAM_CASSANDRA_PORT: {{ .Values.cassandra.port | quote }}
SCRAPESTREAM_CASSANDRA_KEYSPACE: {{ .Values.cassandra.keyspace | quote }}
SCRAPESTREAM_CASSANDRA_REPLICATION: {{ .Values.cassandra.replication | quote }}
SCRAPESTREAM_CLICKHOUSE_DATABASE: {{ .Values.clickhouse.database | quote }}
SCRAPESTREAM_SCRAPER_GROUP_ID: {{ .Values.scraperGroupId | quote }}
SCRAPESTREAM_HEALTH_HOST: "0.0.0.0"
SCRAPESTREAM_HEALTH_PORT: {{ .Values.healthPort | quote }}
SCRAPESTREAM_GATEWAY_HOST: "0.0.0.0"
SCRAPESTREAM_GATEWAY_PORT: {{ .Values.gateway.port | quote }}
SCRAPESTREAM_DATA_DIR: "/tmp/scrapestream"
SCRAPESTREAM_CHROMIUM_PATH: "/usr/bin/chromium"
{{- range $name, $value := .Values.settings }}
{{- $key := upper $name | trimPrefix "SCRAPESTREAM_" }}
{{- if has $key (list "GATEWAY_API_KEYS" "CLICKHOUSE_URL") }}
{{- fail (printf "settings.%s is secret: give it through gateway.apiKeys / clickhouse.* or secrets.existingSecret" $name) }}
{{- end }}
SCRAPESTREAM_{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Environment every container shares: HOME and Python caches on the writable /tmp. */}}
{{- define "scrapestream.baseEnv" -}}
- name: HOME
  value: /tmp
- name: XDG_CACHE_HOME
  value: /tmp/.cache
- name: XDG_CONFIG_HOME
  value: /tmp/.config
{{- end -}}

{{- define "scrapestream.clickhouseEnv" -}}
- name: SCRAPESTREAM_CLICKHOUSE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "scrapestream.secretName" . }}
      key: clickhouse-url
{{- end -}}

{{/*
The consumer components: each is one consumer group (Faust names its group after the app id,
streams/app.py) and scales on the lag of the topics it reads.
*/}}
{{- define "scrapestream.consumers" -}}
streams:
  name: streams
  args: [worker, streams, --loglevel, info]
  group: scrapestream-router
  topics: [scrape.requests]
  clickhouse: false
fanout:
  name: fanout
  args: [worker, fanout, --loglevel, info]
  group: scrapestream-fanout
  topics: [scrape.results]
  clickhouse: true
scraper:
  name: scraper
  args: [worker, scraper]
  group: {{ .Values.scraperGroupId }}
  topics: [scrape.tasks.high, scrape.tasks.normal, scrape.tasks.bulk]
  clickhouse: false
browserScraper:
  name: browser-scraper
  args: [worker, scraper, --browser]
  group: {{ .Values.scraperGroupId }}-browser
  topics: [scrape.browser-tasks.high, scrape.browser-tasks.normal, scrape.browser-tasks.bulk]
  clickhouse: false
{{- end -}}

{{/* Pod-level settings shared by every Deployment; call with (dict "root" $ "values" $componentValues). */}}
{{- define "scrapestream.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* HTTP probes on a named port: startup (recovery may take minutes), liveness and readiness. */}}
{{- define "scrapestream.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: {{ .port }}}
  periodSeconds: 5
  failureThreshold: 120
livenessProbe:
  httpGet: {path: /healthz, port: {{ .port }}}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: {{ .port }}}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}

{{- define "scrapestream.configChecksum" -}}
checksum/config: {{ include "scrapestream.settings" . | sha256sum }}
{{- end -}}
