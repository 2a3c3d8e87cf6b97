"""Routes for the items of the shop."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from ..deps import get_db
from ..models import ItemCreate, ItemPublic

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/{item_id}", response_model=ItemPublic)
async def read_item(item_id: int, db: Annotated[dict, Depends(get_db)]):
    if item_id not in db:
        raise HTTPException(status_code=404, detail="Item not found")
    return db[item_id]


@router.post("/", response_model=ItemPublic)
async def create_item(item: ItemCreate, db: Annotated[dict, Depends(get_db)]):
    db[len(db) + 1] = item.model_dump()
    return {"id": len(db), **item.model_dump()}

