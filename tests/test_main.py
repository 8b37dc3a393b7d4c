from fastapi.testclient import TestClient


def _script_policy(csp: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    return directives.get("script-src", directives.get("default-src", ""))


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    for response in (
        client.get("/"),
        client.get("/api/me"),
        client.get("/openapi.json"),
        client.get("/css/app.css"),
        client.post("/api/auth/login", json={}),
        client.get("/docs"),
    ):
        csp = response.headers["content-security-policy"]
        assert "'self'" in _script_policy(csp)
        assert "unsafe-inline" not in _script_policy(csp)
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_index_is_served(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text


def test_docs_are_served_from_our_own_files(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN
    for asset in (
        "/vendor/swagger-ui/swagger-ui-bundle.js",
        "/vendor/swagger-ui/swagger-ui.css",
        "/js/docs-init.js",
    ):
        assert asset in page.text
        assert client.get(asset).status_code == 200


def test_openapi_documents_auth_and_error_statuses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
        "tokenUrl"
    ] == ("/api/auth/token")
    item = schema["paths"]["/api/expenses/{expense_id}"]
    for method in ("get", "patch", "delete"):
        assert {"401", "404", "422"} <= set(item[method]["responses"])
    assert "409" in schema["paths"]["/api/auth/register"]["post"]["responses"]
