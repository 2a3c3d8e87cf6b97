"""Routes for the items of the shop."""

from fastapi import APIRouter, status

from ..database import SessionDep
from ..models import Item, ItemCreate, ItemPublic

router = APIRouter(prefix="/items", tags=["items"])


@router.post("/", response_model=ItemPublic, status_code=status.HTTP_201_CREATED)
def create_item(item: ItemCreate, session: SessionDep):
    db_item = Item.model_validate(item)
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item
