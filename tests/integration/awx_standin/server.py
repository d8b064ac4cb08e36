"""A small stand-in for the AWX API v2, for the awx.awx modules that playbooks/awx.yml runs.

It is NOT AWX. It implements only what those modules call (seen in awx.awx 24.6.1's
plugins/module_utils/controller_api.py and the modules): bearer-token auth, list GETs with exact-match
filters (``name=``, ``organization=``, ``or__id``/``or__name``), object GET/POST/PATCH/DELETE, the survey_spec,
association (credentials, success_nodes, ...), workflow_nodes and create_approval_template sub-endpoints, and
the unified_job_templates view. It stores what it is sent as sent, and records every request, so a test can
check what AWX would have received and that a second run writes nothing.

The few server-side rules it applies are AWX's documented ones that decide whether a real AWX accepts an object:
required fields per type, references to existing objects, survey question types and choices
(https://docs.ansible.com/automation-controller/latest/html/userguide/job_templates.html#surveys) and credential
type injector keys (https://docs.ansible.com/automation-controller/latest/html/userguide/credential_types.html).
Anything else AWX does (project syncs, jobs, RBAC, encryption of secrets) is not here.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API = "/api/v2/"
# collection -> the object type AWX reports.
TYPES = {
    "organizations": "organization",
    "projects": "project",
    "inventories": "inventory",
    "inventory_sources": "inventory_source",
    "credential_types": "credential_type",
    "credentials": "credential",
    "execution_environments": "execution_environment",
    "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template",
    "workflow_job_template_nodes": "workflow_job_template_node",
    "workflow_approval_templates": "workflow_approval_template",
    "labels": "label",
    "instance_groups": "instance_group",
    "notification_templates": "notification_template",
    "project_updates": "project_update",
}
# What a real AWX refuses to create without (per type).
REQUIRED = {
    "organizations": ["name"],
    "projects": ["name", "organization", "scm_type", "scm_url"],
    "inventories": ["name", "organization"],
    "inventory_sources": ["name", "inventory", "source", "source_project", "source_path"],
    "credential_types": ["name", "kind", "inputs", "injectors"],
    "execution_environments": ["name", "image"],
    "job_templates": ["name", "project", "playbook"],
    "workflow_job_templates": ["name", "organization"],
}
# field -> the collection it references by id.
REFERENCES = {
    "organization": "organizations",
    "project": "projects",
    "source_project": "projects",
    "inventory": "inventories",
    "execution_environment": "execution_environments",
    "default_environment": "execution_environments",
    "workflow_job_template": "workflow_job_templates",
}
ASSOCIATIONS = (
    "credentials",
    "labels",
    "instance_groups",
    "galaxy_credentials",
    "success_nodes",
    "failure_nodes",
    "always_nodes",
    "notification_templates_started",
    "notification_templates_success",
    "notification_templates_error",
    "notification_templates_approvals",
)
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
UNIFIED = ("job_templates", "workflow_job_templates", "projects", "inventory_sources", "workflow_approval_templates")
PAGING = {"page", "page_size", "order_by"}


class Store:
    def __init__(self, token: str):
        self.token = token
        self.objects = {name: {} for name in TYPES}
        self.surveys = {}  # (collection, id) -> spec
        self.links = {}  # (collection, id, association) -> [ids]
        self.requests = []  # (method, path, body)
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    # ---- objects
    def url(self, collection: str, oid: int) -> str:
        return f"{API}{collection}/{oid}/"

    def view(self, collection: str, obj: dict) -> dict:
        url = self.url(collection, obj["id"])
        related = {name: f"{url}{name}/" for name in ("survey_spec", "workflow_nodes", *ASSOCIATIONS)}
        if collection == "workflow_job_template_nodes" and obj.get("unified_job_template") in self.objects.get(
            "workflow_approval_templates", {}
        ):
            related["unified_job_template"] = self.url("workflow_approval_templates", obj["unified_job_template"])
        summary = {}
        if collection == "projects":
            # AWX starts a project update (git sync) when a project is saved; the stand-in's succeed at once.
            summary["current_update"] = {"id": obj["_update"]}
            obj = {k: v for k, v in obj.items() if k != "_update"}
            obj.setdefault("scm_revision", "")
        return {**obj, "url": url, "type": TYPES[collection], "related": related, "summary_fields": summary}

    def problems(self, collection: str, data: dict, creating: bool) -> dict:
        errors = {}
        if creating:
            for field in REQUIRED.get(collection, []):
                if data.get(field) in (None, ""):
                    errors[field] = ["This field is required."]
        for field, target in REFERENCES.items():
            value = data.get(field)
            if value not in (None, "") and value not in self.objects[target]:
                errors[field] = [f'Invalid pk "{value}" - object does not exist.']
        if collection == "credential_types" and isinstance(data.get("injectors"), dict):
            extra = set(data["injectors"]) - {"env", "extra_vars", "file"}
            if extra:
                errors["injectors"] = [f"{sorted(extra)} are not allowed: env, extra_vars, file"]
            # Some of the variables AWX refuses to inject (awx/main/fields.py, ENV_BLOCKLIST and ANSIBLE_*).
            blocked = [
                name
                for name in (data["injectors"].get("env") or {})
                if name.startswith("ANSIBLE_") or name in ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "JOB_ID")
            ]
            if blocked:
                errors["injectors"] = [f"environment variables {blocked} are not allowed"]
        return errors

    def create(self, collection: str, data: dict) -> tuple:
        errors = self.problems(collection, data, creating=True)
        if errors:
            return 400, errors
        oid = next(self.ids)
        self.objects[collection][oid] = {**data, "id": oid}
        if collection == "projects":
            update = next(self.ids)
            self.objects["project_updates"][update] = {"id": update, "project": oid, "status": "successful"}
            self.objects[collection][oid]["_update"] = update
        return 201, self.view(collection, self.objects[collection][oid])

    def listing(self, collection: str, query: list) -> dict:
        if collection == "unified_job_templates":
            rows = [self.view(c, o) for c in UNIFIED for o in self.objects[c].values()]
        else:
            rows = [self.view(collection, o) for o in self.objects[collection].values()]
        either = [(k[4:], v) for k, v in query if k.startswith("or__")]
        exact = [(k, v) for k, v in query if not k.startswith("or__") and k not in PAGING]
        rows = [r for r in rows if all(str(r.get(k)) == v for k, v in exact)]
        if either:
            rows = [r for r in rows if any(str(r.get(k)) == v for k, v in either)]
        return {"count": len(rows), "next": None, "previous": None, "results": rows}


def survey_problems(spec) -> list:
    """AWX's survey rules: a name, a description, and a list of questions with a type it knows."""
    if not isinstance(spec, dict) or not isinstance(spec.get("spec"), list):
        return ["survey_spec must be {name, description, spec: [questions]}"]
    problems = []
    for question in spec["spec"]:
        kind = question.get("type")
        if kind not in SURVEY_TYPES:
            problems.append(f"{question.get('variable')}: type {kind!r} is not one of {sorted(SURVEY_TYPES)}")
        if not question.get("variable") or not question.get("question_name"):
            problems.append(f"{question}: variable and question_name are required")
        if kind in ("multiplechoice", "multiselect"):
            choices = question.get("choices")
            choices = choices.split("\n") if isinstance(choices, str) else choices
            if not choices:
                problems.append(f"{question.get('variable')}: a {kind} question needs choices")
            default = question.get("default")
            defaults = [] if default in (None, "") else (default.split("\n") if isinstance(default, str) else default)
            if any(d not in choices for d in defaults):
                problems.append(f"{question.get('variable')}: default {default!r} is not among {choices}")
    return problems


def handler(store: Store):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the requests are recorded in the store
            pass

        def reply(self, status: int, body=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            # What the modules read to compare versions (awx.awx 24.6.1 talks to AWX 24).
            self.send_header("X-API-Product-Name", "AWX")
            self.send_header("X-API-Product-Version", "24.6.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}") if length else {}

        def handle_any(self, method: str):
            if self.headers.get("Authorization") != f"Bearer {store.token}":
                return self.reply(401, {"detail": "Authentication credentials were not provided."})
            parts = urlsplit(self.path)
            data = self.body() if method in ("POST", "PATCH", "PUT") else None
            with store.lock:
                store.requests.append((method, parts.path, data))
                status, body = self.route(method, parts.path, parse_qsl(parts.query), data)
            self.reply(status, body)

        def route(self, method: str, path: str, query: list, data):
            if not path.startswith(API):
                return 404, {"detail": "Not found."}
            segments = [s for s in path[len(API) :].split("/") if s]
            if not segments:
                return 200, {"description": "AWX API v2 stand-in"}
            collection = segments[0]
            if collection not in TYPES and collection != "unified_job_templates":
                return 404, {"detail": f"{collection}: not implemented by the stand-in"}
            if len(segments) == 1:
                if method == "GET":
                    return 200, store.listing(collection, query)
                if method == "POST":
                    return store.create(collection, data)
                return 405, {"detail": "Method not allowed."}
            oid = int(segments[1])
            obj = store.objects.get(collection, {}).get(oid)
            if obj is None:
                return 404, {"detail": "Not found."}
            if len(segments) == 2:
                if method == "GET":
                    return 200, store.view(collection, obj)
                if method == "PATCH":
                    errors = store.problems(collection, data, creating=False)
                    if errors:
                        return 400, errors
                    obj.update(data)
                    return 200, store.view(collection, obj)
                if method == "DELETE":
                    del store.objects[collection][oid]
                    return 204, None
                return 405, {"detail": "Method not allowed."}
            return self.sub(method, collection, oid, obj, segments[2], data)

        def sub(self, method, collection, oid, obj, name, data):
            if name == "survey_spec":
                if method == "GET":
                    return 200, store.surveys.get((collection, oid), {})
                if method == "POST":
                    problems = survey_problems(data)
                    if problems:
                        return 400, {"error": "; ".join(problems)}
                    store.surveys[(collection, oid)] = data
                    return 200, None
                if method == "DELETE":
                    store.surveys.pop((collection, oid), None)
                    return 204, None
            if name == "workflow_nodes" and collection == "workflow_job_templates":
                if method == "GET":
                    return 200, store.listing("workflow_job_template_nodes", [("workflow_job_template", str(oid))])
                if method == "POST":
                    return store.create("workflow_job_template_nodes", {**data, "workflow_job_template": oid})
            if name == "create_approval_template" and collection == "workflow_job_template_nodes" and method == "POST":
                current = obj.get("unified_job_template")
                if current in store.objects["workflow_approval_templates"]:
                    store.objects["workflow_approval_templates"][current].update(data)
                    return 200, store.view(
                        "workflow_approval_templates", store.objects["workflow_approval_templates"][current]
                    )
                status, approval = store.create("workflow_approval_templates", data)
                if status == 201:
                    obj["unified_job_template"] = approval["id"]
                return status, approval
            if name in ASSOCIATIONS:
                key = (collection, oid, name)
                target = "workflow_job_template_nodes" if name.endswith("_nodes") else name.split("_templates_")[0]
                target = "notification_templates" if name.startswith("notification_templates") else target
                target = "credentials" if name == "galaxy_credentials" else target
                if method == "GET":
                    rows = [store.view(target, store.objects[target][i]) for i in store.links.get(key, [])]
                    return 200, {"count": len(rows), "next": None, "previous": None, "results": rows}
                if method == "POST":
                    linked = store.links.setdefault(key, [])
                    if data.get("disassociate"):
                        if data["id"] in linked:
                            linked.remove(data["id"])
                    elif data.get("id") not in store.objects[target]:
                        return 400, {"id": [f"{target} {data.get('id')} does not exist"]}
                    elif data["id"] not in linked:
                        linked.append(data["id"])
                    return 204, None
            return 404, {"detail": f"{collection}/{oid}/{name}: not implemented by the stand-in"}

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PATCH(self):
            self.handle_any("PATCH")

        def do_DELETE(self):
            self.handle_any("DELETE")

    return Handler


def start(token: str) -> tuple:
    """(server, store): a stand-in listening on 127.0.0.1 (a free port), served from a daemon thread."""
    store = Store(token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(store))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, store
