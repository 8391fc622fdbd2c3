{{/*
Names, labels and the pieces every Rapport pod shares.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "rapport.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, at most 63 characters (the DNS label limit), leaving room for the
longest suffix the chart appends ("-test-readyz", 12 characters) within 63.
*/}}
{{- define "rapport.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 51 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 51 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 51 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label: name-version */}}
{{- define "rapport.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource (Helm's recommended app.kubernetes.io/* set). */}}
{{- define "rapport.labels" -}}
helm.sh/chart: {{ include "rapport.chart" . }}
app.kubernetes.io/name: {{ include "rapport.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rapport
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "api") */}}
{{- define "rapport.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rapport.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's resources: (dict "ctx" $ "component" "api") */}}
{{- define "rapport.componentLabels" -}}
{{ include "rapport.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "rapport.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rapport.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Rapport image reference: repository@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "rapport.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret the pods read: the chart's own, or secrets.existingSecret. */}}
{{- define "rapport.secretName" -}}
{{- if .Values.secrets.create }}
{{- include "rapport.fullname" . }}
{{- else }}
{{- .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{- define "rapport.redisName" -}}
{{- printf "%s-redis" (include "rapport.fullname" .) }}
{{- end }}

{{/* URL of the in-cluster (development) Redis. */}}
{{- define "rapport.inClusterRedisUrl" -}}
{{- printf "redis://%s:%d/0" (include "rapport.redisName" .) (int .Values.redis.inCluster.port) }}
{{- end }}

{{/*
Pod-level security context of every pod of the chart. runAsNonRoot and the RuntimeDefault
seccomp profile are not values: they hold whatever is configured.
(dict "user" 10001 "group" 10001 "fsGroup" 10001)
*/}}
{{- define "rapport.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .user }}
runAsGroup: {{ .group }}
fsGroup: {{ .fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context of every container of the chart. */}}
{{- define "rapport.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Environment of the API and worker containers. RAPPORT_REDIS_URL is named explicitly (from the
Secret, or the in-cluster Redis): a missing key stops the pod with an error naming it instead
of starting a service without Redis. Everything else comes in whole from the ConfigMap and the
Secret (envFrom; an explicit `env` entry wins over both).
*/}}
{{- define "rapport.env" -}}
env:
  - name: RAPPORT_REDIS_URL
    {{- if .Values.redis.inCluster.enabled }}
    value: {{ include "rapport.inClusterRedisUrl" . | quote }}
    {{- else }}
    valueFrom:
      secretKeyRef:
        name: {{ include "rapport.secretName" . }}
        key: RAPPORT_REDIS_URL
    {{- end }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
envFrom:
  - configMapRef:
      name: {{ include "rapport.fullname" . }}
  - secretRef:
      name: {{ include "rapport.secretName" . }}
{{- end }}

{{/*
Checksums of the ConfigMap and the chart's Secret: a changed setting changes the pod template,
so the Deployments roll their pods. (An existingSecret's content is not visible to the chart:
restart the Deployments after changing it; docs/operations.md.)
*/}}
{{- define "rapport.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/*
Refuse values an operator cannot have meant, with a message that says what to set. Included by
every template that depends on them, so a bad install fails before anything is applied.
*/}}
{{- define "rapport.validateValues" -}}
{{- $redis := .Values.redis }}
{{- $secrets := .Values.secrets }}
{{- if and $redis.inCluster.enabled (or $redis.url $redis.queueUrl) }}
{{- fail "both an in-cluster and an external Redis are set: unset redis.url and redis.queueUrl, or set redis.inCluster.enabled=false" }}
{{- end }}
{{- if and $secrets.create $secrets.existingSecret }}
{{- fail (printf "secrets.existingSecret=%q is set but secrets.create is true: set secrets.create=false to use the existing Secret, or unset secrets.existingSecret" $secrets.existingSecret) }}
{{- end }}
{{- if not $secrets.create }}
{{- if not $secrets.existingSecret }}
{{- fail "secrets.create is false but secrets.existingSecret is empty: set secrets.existingSecret to the name of a Secret holding RAPPORT_REDIS_URL (and any platform tokens), or set secrets.create=true" }}
{{- end }}
{{- if or $redis.url $redis.queueUrl $secrets.env }}
{{- fail "redis.url, redis.queueUrl and secrets.env are ignored with secrets.existingSecret: put them into that Secret as RAPPORT_REDIS_URL, RAPPORT_QUEUE_REDIS_URL and RAPPORT_* keys, and unset them here" }}
{{- end }}
{{- end }}
{{- if and $secrets.create (not $redis.inCluster.enabled) (not $redis.url) }}
{{- fail "no Redis: set redis.url to your Redis (e.g. rediss://:PASSWORD@redis.example:6379/0), or keep it in a Secret (secrets.create=false, secrets.existingSecret with key RAPPORT_REDIS_URL), or set redis.inCluster.enabled=true for development only" }}
{{- end }}
{{- range $name, $value := .Values.config.env }}
{{- if not (regexMatch "^RAPPORT_[A-Z0-9_]+$" $name) }}
{{- fail (printf "config.env.%s: only RAPPORT_* variables (upper case) belong in config.env" $name) }}
{{- end }}
{{- if or (eq $name "RAPPORT_REDIS_URL") (eq $name "RAPPORT_QUEUE_REDIS_URL") }}
{{- fail (printf "config.env.%s: Redis URLs may hold a password; set redis.url / redis.queueUrl (or the existing Secret) instead" $name) }}
{{- end }}
{{- if or (eq $name "RAPPORT_JOB_TIMEOUT_SECONDS") (eq $name "RAPPORT_WORKER_SHUTDOWN_SECONDS") }}
{{- fail (printf "config.env.%s: set worker.jobTimeoutSeconds / worker.shutdownSeconds instead (the chart keeps them below the worker's grace period)" $name) }}
{{- end }}
{{- if or (eq $name "RAPPORT_API_DRAIN_SECONDS") (eq $name "RAPPORT_API_SHUTDOWN_SECONDS") }}
{{- fail (printf "config.env.%s: set api.drainSeconds / api.shutdownSeconds instead (the chart keeps them below the API's grace period)" $name) }}
{{- end }}
{{- if eq $name "RAPPORT_UPLOAD_DIR" }}
{{- fail "config.env.RAPPORT_UPLOAD_DIR: set uploads.mountPath instead (the chart mounts the shared volume there)" }}
{{- end }}
{{- if eq $name "RAPPORT_LOG_LEVEL" }}
{{- fail "config.env.RAPPORT_LOG_LEVEL: set config.logLevel instead" }}
{{- end }}
{{- if regexMatch "(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|API_KEY)" $name }}
{{- fail (printf "config.env.%s looks like a secret and the ConfigMap is not one: move it to secrets.env" $name) }}
{{- end }}
{{- end }}
{{- range $name, $value := $secrets.env }}
{{- if not (regexMatch "^RAPPORT_[A-Z0-9_]+$" $name) }}
{{- fail (printf "secrets.env.%s: only RAPPORT_* variables (upper case) belong in secrets.env" $name) }}
{{- end }}
{{- if or (eq $name "RAPPORT_REDIS_URL") (eq $name "RAPPORT_QUEUE_REDIS_URL") }}
{{- fail (printf "secrets.env.%s: set redis.url / redis.queueUrl instead" $name) }}
{{- end }}
{{- end }}
{{- if and .Values.api.autoscaling.enabled (not (dig "requests" "cpu" "" .Values.api.resources)) }}
{{- fail "api.autoscaling scales on CPU, which needs a CPU request: set api.resources.requests.cpu" }}
{{- end }}
{{- $wa := .Values.worker.autoscaling }}
{{- if and .Values.worker.enabled $wa.enabled }}
{{- if and (not $wa.queueDepth.enabled) (not $wa.targetCPUUtilizationPercentage) }}
{{- fail "worker.autoscaling has no target: set worker.autoscaling.targetCPUUtilizationPercentage or worker.autoscaling.queueDepth.enabled=true" }}
{{- end }}
{{- if and $wa.targetCPUUtilizationPercentage (not (dig "requests" "cpu" "" .Values.worker.resources)) }}
{{- fail "worker.autoscaling.targetCPUUtilizationPercentage needs a CPU request: set worker.resources.requests.cpu (or set the target to 0 and scale on queueDepth)" }}
{{- end }}
{{- end }}
{{- if and .Values.api.autoscaling.enabled (gt (int .Values.api.autoscaling.minReplicas) (int .Values.api.autoscaling.maxReplicas)) }}
{{- fail "api.autoscaling.minReplicas is above api.autoscaling.maxReplicas" }}
{{- end }}
{{- if and $wa.enabled (gt (int $wa.minReplicas) (int $wa.maxReplicas)) }}
{{- fail "worker.autoscaling.minReplicas is above worker.autoscaling.maxReplicas" }}
{{- end }}
{{- $w := .Values.worker }}
{{- if le (int $w.terminationGracePeriodSeconds) (max (int $w.jobTimeoutSeconds) (int $w.shutdownSeconds) | int) }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be longer than worker.jobTimeoutSeconds (%d) and worker.shutdownSeconds (%d), or Kubernetes kills jobs midway: raise it (e.g. to %d)" (int $w.terminationGracePeriodSeconds) (int $w.jobTimeoutSeconds) (int $w.shutdownSeconds) (add (max (int $w.jobTimeoutSeconds) (int $w.shutdownSeconds)) 30)) }}
{{- end }}
{{- $a := .Values.api }}
{{- $apiStop := add (int $a.drainSeconds) (int $a.shutdownSeconds) }}
{{- if le (int $a.terminationGracePeriodSeconds) $apiStop }}
{{- fail (printf "api.terminationGracePeriodSeconds (%d) must be longer than api.drainSeconds (%d) plus api.shutdownSeconds (%d), or Kubernetes kills requests midway: raise it (e.g. to %d)" (int $a.terminationGracePeriodSeconds) (int $a.drainSeconds) (int $a.shutdownSeconds) (add $apiStop 5)) }}
{{- end }}
{{- if or (eq (clean .Values.uploads.mountPath) "/tmp") (hasPrefix "/tmp/" (clean .Values.uploads.mountPath)) }}
{{- fail "uploads.mountPath must not be under /tmp (a separate emptyDir): use e.g. /var/lib/rapport/uploads" }}
{{- end }}
{{- if and .Values.api.ingress.enabled (not .Values.api.ingress.hosts) }}
{{- fail "api.ingress.enabled is true but api.ingress.hosts is empty: list at least one host" }}
{{- end }}
{{- end }}

{{/* Egress rules of the API and worker pods when networkPolicy.restrictEgress is on. */}}
{{- define "rapport.egress" -}}
{{- if .Values.networkPolicy.restrictEgress }}
egress:
  # DNS
  - ports:
      - port: 53
        protocol: UDP
      - port: 53
        protocol: TCP
  {{- if .Values.redis.inCluster.enabled }}
  - to:
      - podSelector:
          matchLabels:
            {{- include "rapport.selectorLabels" (dict "ctx" . "component" "redis") | nindent 12 }}
    ports:
      - port: {{ .Values.redis.inCluster.port }}
        protocol: TCP
  {{- end }}
  {{- with .Values.networkPolicy.extraEgress }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The volume of uploaded archives, shared by the API and the workers when persistence is on. */}}
{{- define "rapport.uploadsVolume" -}}
- name: uploads
  {{- if .Values.uploads.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-uploads" (include "rapport.fullname" .)) .Values.uploads.persistence.existingClaim }}
  {{- else }}
  emptyDir:
    sizeLimit: 1Gi
  {{- end }}
{{- end }}
