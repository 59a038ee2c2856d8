"""A workspace: a folder of services side by side, and what a new one may take."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FlaskprotoError, NotAService, WorkspaceClash
from .service import METADATA_FILE, Service

#: The service template's variables that place a service in its workspace, with
#: the defaults of a service alone: the port gunicorn (and compose) listens on
#: and the port of ``flask run``. They belong to the folder, not to the answers
#: a service is made from, so ``--replay`` does not copy them.
PORT_VARIABLES: dict[str, int] = {"port": 8000, "dev_port": 5000}


def setting_prefix(name: str) -> str:
    """The start of the settings about the service ``name``: ORDERS for orders."""
    return re.sub(r"\W", "_", name).upper()


def url_setting(name: str) -> str:
    """The setting that holds the base URL of the service ``name``."""
    return setting_prefix(name) + "_URL"


@dataclass(frozen=True)
class ServiceStatus:
    """One line of ``flaskproto services``: a service and whether it is current."""

    service: Service
    #: "current", "available", or "unknown" when it cannot tell (``detail``: why).
    update: str
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        service = self.service
        return {
            "name": service.name,
            "directory": service.root.name,
            "path": str(service.root),
            "package": service.package,
            "template": service.template,
            "template_version": service.template_version,
            "features": service.features,
            "port": service.port,
            "dev_port": service.dev_port,
            "update": self.update,
            "update_detail": self.detail,
        }


@dataclass(frozen=True)
class Workspace:
    """A folder and the services in its subfolders, in name order."""

    root: Path
    services: tuple[Service, ...] = ()
    #: Subfolders with a record that cannot be read, and why.
    unreadable: tuple[tuple[Path, str], ...] = field(default=())

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Workspace:
        """Return the workspace of the folder ``root`` (empty if it has no services)."""
        top = Path(os.path.abspath(os.fspath(root)))
        services: list[Service] = []
        unreadable: list[tuple[Path, str]] = []
        try:
            entries = sorted(os.scandir(top), key=lambda entry: entry.name)
        except OSError:
            entries = []
        for entry in entries:
            folder = Path(entry.path)
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            if not (folder / METADATA_FILE).is_file():
                continue
            try:
                services.append(Service.at(folder))
            except NotAService as err:
                unreadable.append((folder, str(err)))
        return cls(top, tuple(services), tuple(unreadable))

    @classmethod
    def find(cls, start: str | os.PathLike[str] = ".") -> Workspace:
        """Return the workspace ``start`` is in.

        Inside a service, that is the folder holding the service; elsewhere
        ``start`` itself.
        """
        try:
            service = Service.find(start)
        except NotAService:
            return cls.at(start)
        return cls.at(service.root.parent)

    def others(self, target: Path) -> list[Service]:
        """The services but the one at ``target``."""
        return [service for service in self.services if service.root != target]

    def taken_ports(self, target: Path) -> dict[int, Service]:
        """The ports the other services listen on by default, with the service."""
        taken: dict[int, Service] = {}
        for service in self.others(target):
            for key, default in PORT_VARIABLES.items():
                port = _recorded_port(service, key, default)
                if port is not None:
                    taken.setdefault(port, service)
        return taken

    def placement(
        self, variables: Mapping[str, Any], given: Mapping[str, str], target: Path
    ) -> dict[str, str]:
        """The port variables among ``variables`` not ``given``, each the lowest free.

        A service alone gets the template's defaults; beside others, the first
        port from the default up that no other service has.
        """
        taken = set(self.taken_ports(target))
        taken.update(int(given[key]) for key in PORT_VARIABLES if _is_port(given, key))
        placed: dict[str, str] = {}
        for key, default in PORT_VARIABLES.items():
            if key not in variables or key in given:
                continue
            port = default
            while port in taken:
                port += 1
            taken.add(port)
            placed[key] = str(port)
        return placed

    def check_new(
        self, slug: str, package: str, values: Mapping[str, object], target: Path
    ) -> None:
        """Raise WorkspaceClash if a new service's names or ports are another's.

        The directory name is also the distribution name and the compose
        service's; the package is also the database's name.
        """
        for other in self.others(target):
            if slug.lower() in {other.root.name.lower(), other.slug.lower()}:
                raise WorkspaceClash(
                    f"the directory and compose service name {slug!r} is taken by"
                    f" the service in {other.root}; choose another NAME or"
                    " --set project_slug=..."
                )
            if package.lower() == other.package.lower():
                raise WorkspaceClash(
                    f"the package and database name {package!r} is taken by the"
                    f" service in {other.root}; choose another NAME or"
                    " --set package_name=..."
                )
        taken = self.taken_ports(target)
        for key in PORT_VARIABLES:
            port = values.get(key)
            if port is not None and int(str(port)) in taken:
                owner = taken[int(str(port))]
                raise WorkspaceClash(
                    f"{key} {port} is taken by the service in {owner.root}; leave"
                    f" --set {key} out to get a free one"
                )

    def statuses(self) -> list[ServiceStatus]:
        """Every service with whether a template update waits for it."""
        return [_status(service) for service in self.services]


def _status(service: Service) -> ServiceStatus:
    from .update import check_update

    try:
        result = check_update(service.root)
    except FlaskprotoError as err:
        return ServiceStatus(service, "unknown", str(err))
    return ServiceStatus(service, result.status)


def _recorded_port(service: Service, key: str, default: int) -> int | None:
    """The port ``key`` of ``service``; a service template's default if unrecorded."""
    port = service.port if key == "port" else service.dev_port
    if port is None and service.template == "service":
        return default  # made before the service template had port variables
    return port


def _is_port(given: Mapping[str, str], key: str) -> bool:
    value = given.get(key)
    return value is not None and value.isascii() and value.isdigit()
