"""The TOPdesk emulator's protocol: auth, versions, media types, read-only lists, unknown
paths, unlicensed modules and spec checks (topdesk.md §2, §3.1, §4.5)."""

from __future__ import annotations

import pytest
from topdesk_sandbox_support import TOPDESK_SPECS, Api
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.readonly import READ_ONLY_LISTS

from usm_config.sandbox.faults import FaultConfig


@pytest.fixture
def api() -> Api:
    return Api(create_app())


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (None, "No authentication token provided"),
        (("admin", "wrong"), "Invalid Credentials or no Permission"),
        (("nobody", "sandbox-app-password"), "Invalid Credentials or no Permission"),
    ],
)
def test_only_the_login_name_and_application_password_get_in(
    auth: tuple[str, str] | None, message: str
) -> None:
    response = Api(create_app(), auth=auth).call("GET", "version")
    assert response.status_code == 401
    assert response.json() == [{"message": message}]
    assert response.headers["www-authenticate"].startswith("Basic")


def test_version_and_product_version(api: Api) -> None:
    assert api.ok("GET", "version") == {"version": "3.9.0"}
    assert api.ok("GET", "productVersion") == {"major": 13, "minor": 4, "patch": 0}


def test_a_login_of_create_app_gets_an_operator_card() -> None:
    api = Api(create_app(users={"svc-usm": "pw"}), auth=("svc-usm", "pw"))
    me = api.ok("GET", "operators/current")
    assert me["loginName"] == "svc-usm"
    assert me["linkedPerson"]["id"]


@pytest.mark.parametrize(
    "accept",
    ["application/json", "*/*", "application/*", "text/html, application/json;q=0.9", None],
)
def test_an_accept_header_naming_json_or_a_wildcard_is_served(api: Api, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = api.call("GET", "incidents/call_types", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("incidents/call_types", "application/xml"),
        ("operatorgroups", "text/html"),
        ("incidents/call_types", "application/x.topdesk-collection-person-v2+json"),
        ("persons", "application/x.topdesk-am-assets-v2+json"),
    ],
)
def test_a_wrong_accept_header_is_answered_406_without_a_body(
    api: Api, path: str, accept: str
) -> None:
    response = api.call("GET", path, headers={"Accept": accept})
    assert (response.status_code, response.content) == (406, b"")


def test_persons_answer_v2_for_the_vendor_type_and_v1_for_json(api: Api) -> None:
    v2 = api.call(
        "GET", "persons", headers={"Accept": "application/x.topdesk-collection-person-v2+json"}
    )
    assert v2.headers["content-type"] == "application/x.topdesk-collection-person-v2+json"
    assert set(v2.json()) == {"item", "size", "next"}
    v1 = api.call("GET", "persons", headers={"Accept": "application/json"})
    assert v1.headers["content-type"] == "application/json"
    assert isinstance(v1.json(), list)


@pytest.mark.parametrize("path", sorted(READ_ONLY_LISTS))
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_to_read_only_lists_are_refused_with_405(api: Api, path: str, method: str) -> None:
    before = api.ok("GET", path)
    response = api.call(method, path, {"name": "Made by a script"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert api.ok("GET", path) == before


@pytest.mark.parametrize(
    "path",
    ["/tas/api/categories", "/tas/api/applicableChangeTemplates", "/tas/api/incidents/categories"],
)
def test_category_and_template_writes_are_refused_too(api: Api, path: str) -> None:
    assert api.call("POST", path, {"name": "New"}).status_code == 405


def test_an_unknown_path_is_404_with_the_legacy_envelope(api: Api) -> None:
    response = api.call("GET", "problems")
    assert response.status_code == 404
    assert response.json() == [{"message": "Not found"}]


def test_the_client_checking_dot_topdesk_0_0_17_paths_get_404(api: Api) -> None:
    """The ``topdesk`` client reads ``/durations`` and ``/priorities``: not in the spec."""
    assert api.call("GET", "durations").status_code == 404
    assert api.call("GET", "priorities").status_code == 404


@pytest.mark.parametrize("status", [403, 404])
def test_an_unlicensed_module_answers_403_or_404(status: int) -> None:
    api = Api(create_app(unlicensed={"services": status, "knowledge-base": status}))
    assert api.call("GET", "services").status_code == status
    assert api.call("GET", "/services/knowledge-base-v1/knowledgeItems").status_code == status
    assert api.call("GET", "incidents/call_types").status_code == 200


def test_create_app_refuses_unknown_modules_and_statuses() -> None:
    with pytest.raises(ValueError, match="unknown modules"):
        create_app(unlicensed={"problems": 404})
    with pytest.raises(ValueError, match="403 or 404"):
        create_app(unlicensed={"services": 500})


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    response = api.call(
        "POST", "departments", content=b"name=IT", headers={"Content-Type": "text/plain"}
    )
    assert (response.status_code, response.content) == (415, b"")


def test_a_vendor_json_media_type_is_accepted_as_a_body(api: Api) -> None:
    response = api.call(
        "POST",
        "departments",
        content=b'{"name": "IT"}',
        headers={"Content-Type": "application/x.topdesk-kb-create-ki-v1+json"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(("knob", "status"), [("rate_429", 429), ("rate_5xx", 503)])
def test_injected_faults_use_the_legacy_envelope(knob: str, status: int) -> None:
    api = Api(create_app(faults=FaultConfig(**{knob: 1.0}, seed=1)))
    response = api.call("GET", "version")
    assert response.status_code == status
    assert list(response.json()[0]) == ["message"]


# ---------------------------------------------------------------------- spec checks


@pytest.fixture
def checked() -> Api:
    return Api(create_app(spec_dir=TOPDESK_SPECS))


def test_requests_the_spec_allows_pass_the_check(checked: Api) -> None:
    checked.ok("GET", "operatorgroups", start=0, page_size=5, query="groupName=sw=A")
    checked.ok("GET", "/services/knowledge-base-v1/knowledgeItems", fields="title", language="en")
    assert checked.app.state.spec_violations == []


def test_an_undeclared_query_parameter_is_a_400_listing_the_violation(checked: Api) -> None:
    response = checked.call("GET", "operatorgroups", pageSize=5)
    assert response.status_code == 400
    assert response.json() == [
        {"message": "GET /tas/api/operatorgroups: query parameter 'pageSize' is not declared"}
    ]
    assert checked.app.state.spec_violations == [response.json()[0]["message"]]


def test_a_body_the_spec_forbids_is_a_400(checked: Api) -> None:
    response = checked.call("POST", "departments", {"name": 7})
    assert response.status_code == 400
    assert "request body ['name']" in response.json()[0]["message"]
    assert checked.ok("GET", "departments") == []


def test_a_knowledge_item_without_a_parent_is_refused_by_the_spec(checked: Api) -> None:
    body = {"translation": {"language": "en", "content": {"title": "VPN"}}}
    response = checked.call("POST", "/services/knowledge-base-v1/knowledgeItems", body)
    assert response.status_code == 400
    assert "'parent' is a required property" in response.json()[0]["message"]


def test_a_method_the_spec_lacks_is_a_405(checked: Api) -> None:
    response = checked.call("DELETE", "operatorgroups")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
