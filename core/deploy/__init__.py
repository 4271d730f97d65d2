"""The suite for other engines, from the same files `intelluxe up` runs: each service's `.conf` and
config/stack.yml become a Compose file (docker compose, docker stack deploy on Swarm) or Kubernetes manifests.

- `conf`: a `.conf` read in Python exactly as universal-service-runner.sh reads it (libexec/usr-conf).
- `compose`: the Compose document; `k8s`: the Kubernetes manifests.
Nothing here talks to an engine; the CLI (`intelluxe export`) writes the files, the operator applies them.
"""
