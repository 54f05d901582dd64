"""Path loaders for the journey's objects: this organization's row or 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.tenancy import path_loader
from touchpoints.models import Question, Stage, Touchpoint

StageDep = Annotated[Stage, Depends(path_loader(Stage))]
TouchpointDep = Annotated[Touchpoint, Depends(path_loader(Touchpoint))]
QuestionDep = Annotated[Question, Depends(path_loader(Question))]
