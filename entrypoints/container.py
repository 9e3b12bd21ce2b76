"""The composition root: the only place that picks adapters for ports and wires them together."""
from __future__ import annotations

from dependency_injector import containers, providers

from adapters.auth.jwt_tokens import TokenService
from adapters.auth.key_material import load_token_keys
from adapters.clock import SystemClock
from adapters.persistence.engine import create_engine, create_sync_read_engine, session_factory
from adapters.cached_queries import CachedFleetQueries
from adapters.persistence.queries import SqlFleetQueries
from adapters.persistence.mapping import start_mappers
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from adapters.signals import InProcessSignals
from domain.services.commands import CommandService
from domain.services.devices import DeviceInventory
from domain.services.telemetry import TelemetryRecorder
from entrypoints.settings import Settings


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    token_keys = providers.Singleton(
        load_token_keys,
        settings.provided.jwt_secret,
        settings.provided.jwt_public_key,
        settings.provided.jwt_private_key,
        settings.provided.var_dir,
    )
    tokens = providers.Singleton(TokenService, token_keys)


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    engine = providers.Singleton(create_engine, settings.provided.database_url)
    sessions = providers.Singleton(session_factory, engine)
    unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, sessions)
    read_engine = providers.Singleton(create_sync_read_engine, settings.provided.database_url)
    fleet_queries = providers.Singleton(
        CachedFleetQueries,
        providers.Singleton(SqlFleetQueries, engine, read_engine),
        ttl_seconds=settings.provided.list_cache_ttl_seconds,
    )


class Services(containers.DeclarativeContainer):
    signals = providers.Singleton(InProcessSignals)
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()
    inventory = providers.Singleton(
        DeviceInventory, uow=gateways.unit_of_work.provider, queries=gateways.fleet_queries, clock=core.clock
    )
    commands = providers.Singleton(
        CommandService, uow=gateways.unit_of_work.provider, clock=core.clock, signals=signals
    )
    telemetry = providers.Singleton(
        TelemetryRecorder, uow=gateways.unit_of_work.provider, queries=gateways.fleet_queries
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings)
    services = providers.Container(Services, core=core, gateways=gateways)


async def shutdown_container(container: Container) -> None:
    """Release pools and threads; the container is unusable afterwards."""
    container.gateways.fleet_queries().close()
    await container.gateways.engine().dispose()


def build_container(settings: Settings | None = None) -> Container:
    start_mappers()
    return Container(settings=settings or Settings.from_env())
