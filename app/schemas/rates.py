"""Request and response models: exchange rates."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RateOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    date: dt.date
    rate: str = Field(description="Units of `to` per one unit of `from`, a decimal string")
    rate_date: dt.date = Field(description="The ECB publication used: the latest on or before `date`")
    source: Literal["ecb"]
