# mlops.platform developer entry points.
#
#   make test                      the README's test command (what CI runs via .ci/run)
#   make render INVENTORY=inventories/aws-dev [EXTRA="-e ..."]
#   make deploy INVENTORY=inventories/aws-dev [EXTRA="--check --diff"]
#   make help                      everything else
#
# Every target depends on `setup`, which is idempotent and takes well under a
# second once .venv is current. Recipes run with .venv/bin first on PATH.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# ansible-test and the `ansible_collections.mlops.platform` imports need the
# checkout at a .../ansible_collections/mlops/platform path: setup links it here.
COLLECTIONS_ROOT := $(VENV)/collections
COLLECTION_DIR := $(COLLECTIONS_ROOT)/ansible_collections/mlops/platform

# Pinned upstream charts and CRDs the tests render and validate against.
UPSTREAM ?= ../shared/upstream
INVENTORY ?= inventories/aws-dev
# Extra ansible-playbook arguments for the playbook targets, e.g.
# make render EXTRA="-e platform_chart_mirror=../shared/upstream/charts"
EXTRA ?=
# Packaged charts (<name>-<version>.tgz) to render from instead of the chart
# repositories, e.g. CHART_MIRROR=../shared/upstream/charts (made absolute here).
CHART_MIRROR ?=
# Where `make mirror` puts the packaged charts it pulls (then CHART_MIRROR=$(MIRROR_DIR)).
MIRROR_DIR ?= build/charts
# Extra arguments, e.g. make unit PYTEST_ARGS='-k preflight -x'
PYTEST_ARGS ?=
# pytest-xdist workers of the integration harness, one test file per worker at a time (--dist loadfile: a file's
# tests run in order, on one worker): its tests mostly wait on subprocesses (ansible, helm, terraform, servers), so
# two workers halve the wall time on 2 cores (1389 s -> 724 s measured). 1: one process.
INTEGRATION_WORKERS ?= 2
SANITY_ARGS ?=

# The cluster's kubeconfig for status and port-forward-*. Empty: scripts/kubeconfig.py INVENTORY
# (platform_kubeconfig of the inventory, else <build>/<cluster>/kubeconfig written by a deploy
# that ran Terraform; one sentence saying what to set when neither exists). playbooks/status.yml
# resolves it the same way.
KUBECONFIG_FILE ?=
# The kubeconfig path for $(1) (an inventory), as a shell word; a failure stops the recipe.
kubeconfig_of = $(if $(KUBECONFIG_FILE),"$(abspath $(KUBECONFIG_FILE))","$$("$(BIN)/python" scripts/kubeconfig.py "$(1)")")
status_args = $(if $(KUBECONFIG_FILE),-e platform_kubeconfig="$(abspath $(KUBECONFIG_FILE))")
# make status-* FORMAT=json: only the JSON report ({"clusters": [...]}) on stdout, the playbook's own output on
# stderr, for scripts: make -s status-aws FORMAT=json | jq '.clusters[0].charts'. FORMAT=table: the readable report.
FORMAT ?= table
# What make drift* compares with the live state (drift_scope): all, infrastructure or releases.
SCOPE ?= all
# $(call status,INVENTORY)
define status
	@if [ "$(FORMAT)" = json ]; then \
		out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
		"$(BIN)/ansible-playbook" playbooks/status.yml -i "$(1)" $(status_args) -e status_format=json \
			-e status_output="$$out" $(EXTRA) >&2; \
		cat "$$out"; \
	else \
		"$(BIN)/ansible-playbook" playbooks/status.yml -i "$(1)" $(status_args) -e status_format="$(FORMAT)" $(EXTRA); \
	fi
endef
# Services reached by the port-forward-* targets (namespace/service:port).
MLFLOW_SERVICE ?= mlflow
MLFLOW_SERVICE_PORT ?= 80
ARGOCD_SERVICE ?= argocd-server
ARGOCD_SERVICE_PORT ?= 80
GRAFANA_SERVICE ?= kube-prometheus-stack-grafana
GRAFANA_SERVICE_PORT ?= 80

export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(VENV)
export TF_CLI_CONFIG_FILE := $(VENV)/terraform.rc
export PLATFORM_UPSTREAM := $(abspath $(UPSTREAM))
# checkov lives in its own venv (its pins clash with the main tool set).
export CHECKOV_BIN := $(VENV)/checkov/bin/checkov
export PYTHON

# pytest from the collection path, with the collection root importable, so
# `import ansible_collections.mlops.platform.plugins...` resolves to this checkout. $(2): arguments of the target.
# Exit status 5 means "no tests collected": reported, not failed.
define pytest
	@if [ ! -d "$(1)" ]; then echo "pytest: $(1) does not exist yet, nothing to run"; exit 0; fi; \
	cd "$(COLLECTION_DIR)" && rc=0 && \
	PYTHONPATH="$(COLLECTIONS_ROOT)$${PYTHONPATH:+:$$PYTHONPATH}" "$(BIN)/python" -m pytest "$(1)" $(2) $(PYTEST_ARGS) || rc=$$?; \
	if [ "$$rc" -eq 5 ]; then echo "pytest: no tests collected in $(1) yet"; rc=0; fi; \
	exit "$$rc"
endef

# $(call playbook,PLAYBOOK,INVENTORY,EXTRA ARGS)
define playbook
	@if [ ! -f "$(1)" ]; then echo "not implemented yet: $(1) does not exist"; exit 1; fi; \
	"$(BIN)/ansible-playbook" "$(1)" -i "$(2)" $(3) \
		$(if $(CHART_MIRROR),-e platform_chart_mirror="$(abspath $(CHART_MIRROR))") $(EXTRA)
endef


PY_DIRS = $(wildcard plugins tests bench scripts pipeline)

.PHONY: help
help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_. -]+:.*## / {printf "  %-24s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Environment
.PHONY: setup lock
setup: ## Create/refresh .venv: Python 3.11 + the lock, helm, kubectl, terraform.rc, collection link
	@PYTHON="$(PYTHON)" VENV="$(VENV)" scripts/setup.sh

lock: ## Regenerate requirements/{dev,checkov,nca}.txt from requirements/{dev,checkov,nca}.in
	@PYTHON="$(PYTHON)" LOCK_NAME=dev scripts/lock.sh
	@PYTHON="$(PYTHON)" LOCK_NAME=checkov scripts/lock.sh
	@PYTHON="$(PYTHON)" LOCK_NAME=nca scripts/lock.sh

##@ Tests
.PHONY: test lint ruff yamllint ansible-lint changelog-lint sanity unit pipeline pipeline-image integration molecule molecule-kind docs build fmt
test: setup ## THE test command (~17 min on 2 cores, ~20 min with the first set-up): lint, sanity, unit, pipeline, integration, molecule, docs, build, summary
	@scripts/test-all.sh lint sanity unit pipeline integration molecule docs build

# Runs every linter even when an earlier one fails, so one run shows all findings.
lint: setup ## ruff, yamllint, ansible-lint (production), antsibull-changelog lint
	@rc=0; for linter in ruff yamllint ansible-lint changelog-lint; do \
		$(MAKE) "$$linter" || { rc=1; echo "lint: $$linter FAILED"; }; \
	done; exit "$$rc"

ruff: setup
	"$(BIN)/ruff" format --check $(PY_DIRS)
	"$(BIN)/ruff" check $(PY_DIRS)

fmt: setup ## Apply ruff format and the safe ruff fixes
	"$(BIN)/ruff" format $(PY_DIRS)
	"$(BIN)/ruff" check --fix $(PY_DIRS)

yamllint: setup
	"$(BIN)/yamllint" --strict .

ansible-lint: setup
	"$(BIN)/ansible-lint" --offline

changelog-lint: setup
	"$(BIN)/antsibull-changelog" lint

# ansible-test must see the collection at .../ansible_collections/mlops/platform.
# ANSIBLE_TEST_CONTENT_ROOT points it at the symlink (a process's cwd is always the
# resolved path, so `cd` alone is not enough). --local, not --venv: --venv delegates
# to a child ansible-test whose content root is the parent's resolved cwd, which is
# not under ansible_collections/ (FATAL "No ansible_collections parent directory").
# The per-test sanity venvs (pylint, yamllint, validate-modules, ...) are still
# separate and cached in ~/.ansible/test/venv: the first run builds them (1-4 min),
# later runs take ~20 s. Their pip bootstrap is the offline stand-in setup installs.
sanity: setup ## ansible-test sanity --local --python 3.11 (empty ignore file)
	cd "$(COLLECTION_DIR)" && ANSIBLE_TEST_CONTENT_ROOT="$(COLLECTION_DIR)" \
		"$(BIN)/ansible-test" sanity --local --python 3.11 $(SANITY_ARGS)

unit: setup ## pytest tests/unit
	$(call pytest,tests/unit)

# The pipeline package's own tests run in .venv/ml-pipeline: Python 3.10 and the step image's lock.
ML_PIPELINE_VENV := $(VENV)/ml-pipeline
pipeline: setup ## pytest pipeline/tests in .venv/ml-pipeline (the step image's Python and lock)
	@if [ ! -x "$(ML_PIPELINE_VENV)/bin/python" ]; then \
		echo "pytest: SKIPPED pipeline/tests: $(ML_PIPELINE_VENV) is missing (make setup needs Python 3.10: set PYTHON310 or install it with pyenv)"; \
		exit 0; fi; \
	cd pipeline && "$(ML_PIPELINE_VENV)/bin/python" -m pytest -p no:cacheprovider tests $(PYTEST_ARGS)

# The step image (needs Docker): make pipeline-image REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com
REGISTRY ?=
pipeline-image: setup ## docker build the pipeline step image, tagged as the versions file says (REGISTRY=...)
	@tag=$$("$(BIN)/python" -c 'import yaml; v = yaml.safe_load(open("roles/platform/defaults/main/versions.yml"))["platform_versions"]["images"]["pipeline"]; print(v["repository"] + ":" + v["tag"])'); \
	image="$(if $(REGISTRY),$(REGISTRY)/)$$tag"; echo "building $$image"; \
	docker build -t "$$image" pipeline

integration: setup ## pytest tests/integration (offline, against the real upstream tools; INTEGRATION_WORKERS=2)
	$(call pytest,tests/integration,$(if $(filter-out 0 1,$(INTEGRATION_WORKERS)),-n $(INTEGRATION_WORKERS) --dist loadfile))

molecule: setup ## molecule test -s default (offline render scenario: converge, idempotence, verify)
	"$(BIN)/molecule" test -s default

molecule-kind: setup ## molecule test -s kind (needs Docker, kind and network: apply on a kind cluster; GitHub Actions runs it)
	"$(BIN)/molecule" test -s kind

docs: setup ## ansible-doc renders every module and filter
	@scripts/check-docs.sh

build: setup ## ansible-galaxy collection build into build/dist
	"$(BIN)/ansible-galaxy" collection build --force --output-path build/dist

##@ Platform
.PHONY: mirror render deploy deploy-aws deploy-azure status status-aws status-azure drift drift-aws drift-azure destroy-aws destroy-azure
mirror: setup ## Pull every pinned chart as <name>-<version>.tgz into MIRROR_DIR (default build/charts; needs network)
	PYTHONPATH="$(COLLECTIONS_ROOT)" "$(BIN)/python" scripts/mirror.py "$(MIRROR_DIR)"

render: setup ## Render every release to files: make render INVENTORY=inventories/aws-dev
	$(call playbook,site.yml,$(INVENTORY),-e platform_mode=render)

deploy: setup ## Deploy: make deploy INVENTORY=inventories/aws-dev
	$(call playbook,site.yml,$(INVENTORY),-e platform_mode=apply)

deploy-aws: setup ## Deploy inventories/aws-dev
	$(call playbook,site.yml,inventories/aws-dev,-e platform_mode=apply)

deploy-azure: setup ## Deploy inventories/azure-dev
	$(call playbook,site.yml,inventories/azure-dev,-e platform_mode=apply)

status: setup ## Read-only status (charts installed vs pinned, readiness, endpoints, certificates; FORMAT=json)
	$(call status,$(INVENTORY))

status-aws: setup ## Platform status for inventories/aws-dev (FORMAT=json: the JSON report only, on stdout)
	$(call status,inventories/aws-dev)

status-azure: setup ## Platform status for inventories/azure-dev (FORMAT=json: the JSON report only, on stdout)
	$(call status,inventories/azure-dev)

# Fails (non-zero) when the live state differs from the repository or could not be checked.
drift: setup ## Terraform plan -detailed-exitcode + releases in check mode: make drift INVENTORY=... [SCOPE=infrastructure]
	$(call playbook,playbooks/drift.yml,$(INVENTORY),-e drift_scope=$(SCOPE))

drift-aws: setup ## Drift of inventories/aws-dev (SCOPE=all|infrastructure|releases)
	$(call playbook,playbooks/drift.yml,inventories/aws-dev,-e drift_scope=$(SCOPE))

drift-azure: setup ## Drift of inventories/azure-dev (SCOPE=all|infrastructure|releases)
	$(call playbook,playbooks/drift.yml,inventories/azure-dev,-e drift_scope=$(SCOPE))

destroy-aws: setup ## Ordered teardown of inventories/aws-dev (EXTRA="-e infrastructure_destroy_confirm=mlops-dev"; docs/teardown.md)
	$(call playbook,playbooks/destroy.yml,inventories/aws-dev)

destroy-azure: setup ## Ordered teardown of inventories/azure-dev (EXTRA="-e infrastructure_destroy_confirm=mlops-dev")
	$(call playbook,playbooks/destroy.yml,inventories/azure-dev)

.PHONY: terraform-plan-aws terraform-apply-aws terraform-plan-azure terraform-apply-azure
# The cloud layer alone, through the same role site.yml runs (backend settings come from the
# inventory's infrastructure_backend_config). terraform-init-* are kept as aliases of plan.
terraform-init-aws terraform-plan-aws: setup ## Terraform plan of inventories/aws-dev (changes nothing)
	$(call playbook,playbooks/infrastructure.yml,inventories/aws-dev,-e platform_mode=apply --check)

terraform-apply-aws: setup ## Terraform apply of inventories/aws-dev
	$(call playbook,playbooks/infrastructure.yml,inventories/aws-dev,-e platform_mode=apply)

terraform-init-azure terraform-plan-azure: setup ## Terraform plan of inventories/azure-dev (changes nothing)
	$(call playbook,playbooks/infrastructure.yml,inventories/azure-dev,-e platform_mode=apply --check)

terraform-apply-azure: setup ## Terraform apply of inventories/azure-dev
	$(call playbook,playbooks/infrastructure.yml,inventories/azure-dev,-e platform_mode=apply)

.PHONY: port-forward-mlflow port-forward-argocd port-forward-grafana
port-forward-mlflow: setup ## MLflow at http://localhost:5000 (INVENTORY=..., its kubeconfig as status uses it)
	@kubeconfig=$(call kubeconfig_of,$(INVENTORY)); \
	"$(BIN)/kubectl" --kubeconfig "$$kubeconfig" port-forward -n mlflow "svc/$(MLFLOW_SERVICE)" 5000:$(MLFLOW_SERVICE_PORT)

port-forward-argocd: setup ## Argo CD at http://localhost:8080
	@kubeconfig=$(call kubeconfig_of,$(INVENTORY)); \
	"$(BIN)/kubectl" --kubeconfig "$$kubeconfig" port-forward -n argocd "svc/$(ARGOCD_SERVICE)" 8080:$(ARGOCD_SERVICE_PORT)

port-forward-grafana: setup ## Grafana at http://localhost:3000
	@kubeconfig=$(call kubeconfig_of,$(INVENTORY)); \
	"$(BIN)/kubectl" --kubeconfig "$$kubeconfig" port-forward -n monitoring "svc/$(GRAFANA_SERVICE)" 3000:$(GRAFANA_SERVICE_PORT)

##@ AWX
.PHONY: ee awx
# The execution environment's build context (no container engine needed); build the image from it with
# `ansible-builder build -f execution-environment.yml` or `podman build -f build/ee/Containerfile build/ee`.
ee: setup ## Execution environment build context in build/ee (this collection's tarball + ansible-builder create)
	"$(BIN)/ansible-galaxy" collection build --force --output-path build/dist
	"$(BIN)/ansible-builder" create -f execution-environment.yml -c build/ee --output-filename Containerfile

# The controller comes from CONTROLLER_HOST + CONTROLLER_OAUTH_TOKEN (or a tower_cli.cfg), e.g.
# make awx EXTRA="-e awx_scm_url=https://git.example.com/mlops/platform.git -e awx_ee_image=registry/ee:0.1.0"
awx: setup ## Configure AWX/AAP as code (playbooks/awx.yml, docs/awx.md; EXTRA="-e awx_scm_url=... -e awx_ee_image=...")
	"$(BIN)/ansible-playbook" playbooks/awx.yml $(EXTRA)

##@ Misc
.PHONY: bench clean distclean fit-table
fit-table: setup ## Which LLM fits which GPU (preflight's fit check; ARGS="--max-model-len 8192 --max-num-seqs 8")
	"$(BIN)/python" scripts/fit_table.py $(ARGS)

.PHONY: dashboards
dashboards: setup ## Regenerate roles/monitoring/files/dashboards/*.json (scripts/dashboards.py; ARGS=--check: drift)
	"$(BIN)/python" scripts/dashboards.py $(ARGS)

bench: setup ## Time the render path (bench/render.py)
	@if [ ! -f bench/render.py ]; then echo "not implemented yet: bench/render.py does not exist"; exit 1; fi
	"$(BIN)/python" bench/render.py

clean: ## Remove build output and tool caches (keeps .venv)
	rm -rf build tests/output .pytest_cache .ruff_cache .ansible
	find plugins tests bench scripts -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean ## clean, and remove .venv
	rm -rf .venv
