"""Path loaders: a route names the object in its path and gets this organization's row or 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.orgs.models import Invite, Location, Membership
from app.tenancy import path_loader

LocationDep = Annotated[Location, Depends(path_loader(Location))]
InviteDep = Annotated[Invite, Depends(path_loader(Invite))]
MembershipDep = Annotated[Membership, Depends(path_loader(Membership))]
