from fastapi.testclient import TestClient

from app.main import app


def test_create_item() -> None:
    with TestClient(app) as client:
        response = client.post("/items/", json={"name": "Lamp", "price": 12.5})
    assert response.status_code == 201
