{{/* The chart name, or nameOverride: the app.kubernetes.io/name label. */}}
{{- define "sweepcluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name alone when it already contains the chart
name, so `helm install sweepcluster` gives the names k8s/ uses.
*/}}
{{- define "sweepcluster.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "sweepcluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "sweepcluster.labels" -}}
helm.sh/chart: {{ include "sweepcluster.chart" . }}
{{ include "sweepcluster.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The pods of this release: the instance label keeps two releases in one namespace apart, in
selectors, in the NetworkPolicy and in bootstrap's pod listing.
*/}}
{{- define "sweepcluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sweepcluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The cluster nodes (coordinators and workers) of this release: what bootstrap lists, the headless
Service publishes, the PodDisruptionBudget counts and the NetworkPolicy protects. Clients such
as the example Job carry the selector labels but not sweepcluster/member, so bootstrap never
takes them for nodes.
*/}}
{{- define "sweepcluster.memberSelectorLabels" -}}
{{ include "sweepcluster.selectorLabels" . }}
{{ include "sweepcluster.memberLabel" . }}
{{- end }}

{{/*
The clients of this release, such as the example Job: the NetworkPolicies admit them to remoting
(ClusterClient) and PostgreSQL, never to management.
*/}}
{{- define "sweepcluster.clientSelectorLabels" -}}
{{ include "sweepcluster.selectorLabels" . }}
app.kubernetes.io/component: client
{{- end }}

{{/* What makes a pod of this release a cluster node; coordinator and worker pods carry it. */}}
{{- define "sweepcluster.memberLabel" -}}
sweepcluster/member: "true"
{{- end }}

{{/* The member labels as the label selector SWEEP_DISCOVERY_LABEL_SELECTOR takes ("a=b,c=d"), so the two never disagree. */}}
{{- define "sweepcluster.discoveryLabelSelector" -}}
{{- $pairs := list }}
{{- range $key, $value := include "sweepcluster.memberSelectorLabels" . | fromYaml }}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{- define "sweepcluster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sweepcluster.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: the existing ServiceAccount the nodes run as, with serviceAccount.create=false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The CPU image (docker/Dockerfile): coordinators and the client Job. */}}
{{- define "sweepcluster.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The workers' image: the CUDA build (docker/Dockerfile.cuda) with the default suffix. */}}
{{- define "sweepcluster.workerImage" -}}
{{- include "sweepcluster.image" . }}{{ .Values.workers.imageTagSuffix }}
{{- end }}

{{/*
The remoting address of the first coordinator, through the headless Service: what clients give
as --cluster (ClusterClient's first contact). With TLS, Akka.Remote's addresses are akka.ssl.tcp.
*/}}
{{- define "sweepcluster.coordinatorAddress" -}}
{{- $fullname := include "sweepcluster.fullname" . }}
{{- $protocol := ternary "akka.ssl.tcp" "akka.tcp" .Values.tls.enabled }}
{{- printf "%s://sweep@%s-coordinator-0.%s.%s.svc.%s:%v" $protocol $fullname $fullname .Release.Namespace .Values.clusterDomain .Values.cluster.remotingPort }}
{{- end }}

{{/*
The Secret with the database's username, password and database: the chart creates it for the
internal database unless existingSecret names one; an external database's must exist.
*/}}
{{- define "sweepcluster.postgresqlSecretName" -}}
{{- if .Values.postgresql.auth.existingSecret }}
{{- .Values.postgresql.auth.existingSecret }}
{{- else if .Values.postgresql.internal }}
{{- printf "%s-postgresql" (include "sweepcluster.fullname" .) }}
{{- else }}
{{- fail "postgresql.auth.existingSecret: the Secret with the external database's credentials, with postgresql.internal=false" }}
{{- end }}
{{- end }}

{{/*
SWEEP_DATABASE_CONNECTION: the credentials are $(VAR) references to the env entries that
sweepcluster.nodeEnv takes from the Secret, which Kubernetes expands, so the password is in no
rendered manifest.
*/}}
{{- define "sweepcluster.databaseConnection" -}}
{{- if .Values.postgresql.internal }}
{{- printf "Host=%s-postgresql" (include "sweepcluster.fullname" .) }}
{{- else }}
{{- printf "Host=%s;Port=%v" (required "postgresql.external.host: the external database, with postgresql.internal=false" .Values.postgresql.external.host) .Values.postgresql.external.port }}
{{- end -}}
;Username=$(DATABASE_USERNAME);Password=$(DATABASE_PASSWORD);Database=$(DATABASE_NAME)
{{- end }}

{{/*
The env entries every cluster node gets; each workload adds its role, public address and what
only it reads. Entries referred to as $(NAME) come first: Kubernetes expands only names defined
above the reference.
*/}}
{{- define "sweepcluster.nodeEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: DATABASE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "sweepcluster.postgresqlSecretName" . }}
      key: username
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "sweepcluster.postgresqlSecretName" . }}
      key: password
- name: DATABASE_NAME
  valueFrom:
    secretKeyRef:
      name: {{ include "sweepcluster.postgresqlSecretName" . }}
      key: database
- name: SWEEP_HOSTNAME
  value: 0.0.0.0
- name: SWEEP_PORT
  value: {{ .Values.cluster.remotingPort | quote }}
- name: SWEEP_DISCOVERY
  value: kubernetes
- name: SWEEP_DISCOVERY_LABEL_SELECTOR
  value: {{ include "sweepcluster.discoveryLabelSelector" . | quote }}
- name: SWEEP_DISCOVERY_CONTACT_POINTS
  value: {{ .Values.cluster.contactPoints | quote }}
- name: SWEEP_MANAGEMENT_PORT
  value: {{ .Values.cluster.managementPort | quote }}
# Bootstrap recognises itself among the pods the Kubernetes API lists by their IPs.
- name: SWEEP_MANAGEMENT_HOSTNAME
  value: $(POD_IP)
- name: SWEEP_HEALTH_PORT
  value: {{ .Values.cluster.healthPort | quote }}
- name: SWEEP_DOWN_AFTER_SECONDS
  value: {{ .Values.cluster.downAfterSeconds | quote }}
- name: SWEEP_DATA_ROOTS
  value: {{ .Values.cluster.dataRoots | quote }}
- name: SWEEP_DATABASE_PROVIDER
  value: postgresql
- name: SWEEP_DATABASE_CONNECTION
  value: {{ include "sweepcluster.databaseConnection" . | quote }}
- name: SWEEP_CACHE_DIRECTORY
  value: /tmp/sweepcluster-cache
{{- if .Values.tls.enabled }}
{{ include "sweepcluster.tlsEnv" . }}
{{- end }}
{{- end }}

{{/*
SWEEP_TLS_* for nodes and clients alike, with tls.enabled: the files of the Secret that
sweepcluster.tlsVolume mounts. A password is passed only as a file, never in the environment.
*/}}
{{- define "sweepcluster.tlsEnv" -}}
- name: SWEEP_TLS_CERTIFICATE
  value: /etc/sweepcluster/tls/{{ .Values.tls.certificate }}
{{- if .Values.tls.key }}
- name: SWEEP_TLS_KEY
  value: /etc/sweepcluster/tls/{{ .Values.tls.key }}
{{- end }}
{{- if .Values.tls.passwordFile }}
- name: SWEEP_TLS_PASSWORD_FILE
  value: /etc/sweepcluster/tls/{{ .Values.tls.passwordFile }}
{{- end }}
{{- if .Values.tls.ca }}
- name: SWEEP_TLS_CA
  value: /etc/sweepcluster/tls/{{ .Values.tls.ca }}
{{- end }}
{{- if .Values.tls.suppressValidation }}
- name: SWEEP_TLS_SUPPRESS_VALIDATION
  value: "true"
{{- end }}
{{- end }}

{{/* The TLS Secret's volume, with tls.enabled. */}}
{{- define "sweepcluster.tlsVolume" -}}
- name: tls
  secret:
    secretName: {{ required "tls.secretName: the Secret with the certificate, with tls.enabled=true" .Values.tls.secretName }}
    # 0440 (octal): readable by the pod's fsGroup, the group of the non-root user.
    defaultMode: 288
{{- end }}

{{/* Where the nodes and the example Job find the TLS Secret's files, with tls.enabled. */}}
{{- define "sweepcluster.tlsVolumeMount" -}}
- name: tls
  mountPath: /etc/sweepcluster/tls
  readOnly: true
{{- end }}

{{/*
The pod settings coordinators and workers share: the account bootstrap lists pods with, time to
leave the cluster, and non-root with /tmp the only writable path.
*/}}
{{- define "sweepcluster.nodePodSpec" -}}
serviceAccountName: {{ include "sweepcluster.serviceAccountName" . }}
terminationGracePeriodSeconds: {{ .Values.cluster.terminationGracePeriodSeconds }}
{{ include "sweepcluster.imagePodSpec" . }}
volumes:
  {{- include "sweepcluster.tmpVolume" . | nindent 2 }}
  {{- if .Values.tls.enabled }}
  {{- include "sweepcluster.tlsVolume" . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
The container settings coordinators and workers share: the named ports (bootstrap finds the
management port by its name, the probes use health), readiness meaning "Up member of the
cluster", and the writable /tmp.
*/}}
{{- define "sweepcluster.nodeContainer" -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args: ["node"]
ports:
  - name: akka-remote
    containerPort: {{ .Values.cluster.remotingPort }}
  - name: management
    containerPort: {{ .Values.cluster.managementPort }}
  - name: health
    containerPort: {{ .Values.cluster.healthPort }}
livenessProbe:
  httpGet:
    path: /alive
    port: health
  initialDelaySeconds: 20
  periodSeconds: 10
readinessProbe:
  httpGet:
    path: /ready
    port: health
  periodSeconds: 5
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- if .Values.tls.enabled }}
  {{- include "sweepcluster.tlsVolumeMount" . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The pod settings of every pod that runs the sweep image, nodes and clients: pull secrets, non-root. */}}
{{- define "sweepcluster.imagePodSpec" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The writable /tmp of a read-only container: the node's image cache and .NET's sockets. */}}
{{- define "sweepcluster.tmpVolume" -}}
- name: tmp
  emptyDir: {{ toJson .Values.tmpVolume }}
{{- end }}
