def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_login_page(client, make, auth):
    user = make.user(["requester"])
    assert client.get("/login").status_code == 200
    response = auth.login(user.email)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert user.name.split()[0] in page.get_data(as_text=True)
