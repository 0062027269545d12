#!/usr/bin/env python3
"""Seeds a fresh casedesk through its API for the schemathesis run (.ci/fuzz):
two departments, an account of every role, and cases in every state, so the
fuzzer's requests meet real rows. Prints the bearer token the fuzzer uses: an
administrator's of its own, so a fuzzed login cannot lock it out."""

import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1]
ADMIN_PASSWORD = sys.argv[2]
PASSWORD = "fuzz-password-0123"


def call(method, path, token=None, body=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    if status not in expect:
        sys.exit(f"seeding: {method} {path} answered {status}: {text.decode(errors='replace')}")
    return json.loads(text) if text else None


def login(username, password):
    return call("POST", "/api/v1/auth/login", body={"username": username, "password": password})["token"]


admin = login("admin", ADMIN_PASSWORD)
edu = call("POST", "/api/v1/departments", admin, {"name": "教育局", "code": "EDU", "email": "edu@county.gov.cn"})
call("POST", "/api/v1/departments", admin, {"name": "住建局", "code": "HOUSING"})
accounts = {}
for username, role, department in [
    ("fuzzer", "admin", None),
    ("clerk", "clerk", None),
    ("leader", "leader", None),
    ("handler", "handler", edu["id"]),
]:
    call("POST", "/api/v1/users", admin, {
        "username": username, "password": PASSWORD, "display_name": username,
        "role": role, "department_id": department, "email": f"{username}@county.gov.cn",
    })
    accounts[role if username != "fuzzer" else "fuzzer"] = login(username, PASSWORD)

clerk, handler, leader = accounts["clerk"], accounts["handler"], accounts["leader"]
steps = {
    "registered": [],
    "invalid": [(clerk, "invalidate", {"reason": "重复来信"})],
    "assigned": [(clerk, "assign", {"department_id": edu["id"]})],
    "processing": [(clerk, "assign", {"department_id": edu["id"]}), (handler, "accept", {})],
    "reviewing": [
        (clerk, "assign", {"department_id": edu["id"]}), (handler, "accept", {}),
        (handler, "reply", {"reply": "已协调解决。"}),
    ],
    "closed": [
        (clerk, "assign", {"department_id": edu["id"]}), (handler, "accept", {}),
        (handler, "reply", {"reply": "已协调解决。"}), (clerk, "approve", {}),
        (clerk, "rate", {"rating": "satisfied"}),
    ],
}
for n, (state, actions) in enumerate(steps.items()):
    case = call("POST", "/api/v1/cases", clerk, {
        "channel": ["mailbox", "minhu", "gov_web", "disclosure", "suggestion", "mailbox"][n],
        "title": f"关于{state}的来信",
        "content": "我们小区停车位严重不足，希望有关部门协调解决。",
        "received_at": "2026-11-02T09:30:00+08:00",
        "citizen": {"name": "王芳", "phone": "13812345678", "email": "wangfang@example.cn"},
    })
    for token, action, body in actions:
        call("POST", f"/api/v1/cases/{case['id']}/{action}", token, body)
call("POST", "/api/v1/public/cases", None, {
    "title": "市民来信", "content": "路灯不亮。", "citizen": {"name": "李雷", "email": "lilei@example.cn"},
})
print(accounts["fuzzer"])
