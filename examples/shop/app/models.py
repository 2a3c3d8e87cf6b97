"""Pydantic models of the shop."""

from pydantic import BaseModel, ConfigDict, Field


class ItemBase(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0)


class ItemCreate(ItemBase):
    pass


class ItemPublic(ItemBase):
    id: int

    model_config = ConfigDict(from_attributes=True)

