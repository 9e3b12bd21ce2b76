"""The composition root: the only place that picks adapters for ports and wires them together."""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers
from sqlalchemy.engine import make_url

from adapters.agent_gateway import AgentGateway
from adapters.alert_rules_file import load_alert_rules
from adapters.artifact_signing import load_signer
from adapters.auth.argon2_passwords import Argon2idPasswords
from adapters.auth.jwt_tokens import TokenService
from adapters.auth.key_material import load_token_keys
from adapters.cached_queries import CachedFleetQueries
from adapters.clock import SystemClock
from adapters.event_bus import InProcessEventBus
from adapters.leadership import AdvisoryLockLeadership, SoleWorker
from adapters.live_stream import LiveStream
from adapters.measured_boot.choice import choose_replayer
from adapters.observability.operational_log import OperationalLog
from adapters.observability.prometheus import FleetMetrics
from adapters.observability.timed_verifier import TimedVerifier
from adapters.persistence.alert_store import SqlAlertUnitOfWork
from adapters.persistence.attestation import SqlAttestationRepository, SqlNonceStore
from adapters.persistence.audit import SqlAuditLog
from adapters.persistence.compliance import SqlComplianceFacts
from adapters.persistence.engine import create_engine, create_sync_read_engine, session_factory
from adapters.persistence.event_policies import SqlEventPolicyRepository
from adapters.persistence.maintenance import SqlMetricsMaintenance
from adapters.persistence.mapping import start_mappers
from adapters.persistence.pg_reads import PgReads
from adapters.persistence.queries import SqlFleetQueries
from adapters.persistence.seals import SqlSealRepository
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from adapters.persistence.uptime import SqlUptimeLedger
from adapters.persistence.users import SqlUserRepository
from adapters.pg_signals import PostgresSignals
from adapters.redis_live import RedisLiveRelay
from adapters.signals import InProcessSignals
from adapters.signals_live import SignalsLiveRelay
from adapters.tpm.credential import PytssCredentialChallenger
from adapters.tpm.ek_certificates import BundleEkCertificateVerifier
from adapters.tpm.sealing import PytssSealMaker
from adapters.verifiers.choice import choose_verifier
from adapters.verifiers.keys import attestation_key_from_public
from domain.agents import RecentCredentials
from domain.services.agents import AgentService
from domain.services.alerts import AlertService
from domain.services.attestation import AttestationService
from domain.services.bulk import BulkOperations
from domain.services.commands import CommandService
from domain.services.compliance import ComplianceReview
from domain.services.devices import DeviceInventory
from domain.services.enrolment import AkEnrolment
from domain.services.event_policies import EventPolicies
from domain.services.groups import GroupService
from domain.services.reference_policies import ReferencePolicies
from domain.services.rollouts import RolloutService
from domain.services.sealing import SealingService
from domain.services.sign_in import SignIn
from domain.services.telemetry import TelemetryRecorder
from domain.services.uptime import UptimeService
from domain.services.user_accounts import UserAccounts
from entrypoints.settings import Settings


def _signals(database_url: str):
    """One worker's wake-ups and invalidations; on PostgreSQL they reach every worker of the fleet."""
    if _is_postgres(database_url):
        return PostgresSignals(database_url)
    return InProcessSignals()


def _is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def _leadership(database_url: str):
    """Who runs fleet-wide jobs: the holder of an advisory lock on PostgreSQL, the only worker on SQLite."""
    return AdvisoryLockLeadership(database_url) if _is_postgres(database_url) else SoleWorker()


def _ek_verifier(bundle: str | None):
    return BundleEkCertificateVerifier.from_pem_file(bundle) if bundle else None


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    signals = providers.Singleton(_signals, settings.provided.database_url)
    events = providers.Singleton(InProcessEventBus)
    live_stream = providers.Singleton(LiveStream)
    token_keys = providers.Singleton(
        load_token_keys,
        settings.provided.jwt_secret,
        settings.provided.jwt_public_key,
        settings.provided.jwt_private_key,
        settings.provided.var_dir,
    )
    tokens = providers.Singleton(
        TokenService, token_keys, clock=clock, leeway_seconds=settings.provided.jwt_leeway_seconds
    )
    passwords = providers.Singleton(Argon2idPasswords)
    metrics = providers.Singleton(FleetMetrics)
    verifier = providers.Singleton(
        TimedVerifier, providers.Singleton(choose_verifier, settings.provided.verifier), metrics
    )
    # event log replay follows the verifier choice: native when built (or asked for), else the reference
    replayer = providers.Singleton(choose_replayer, settings.provided.verifier)


def _pg_reads(url: str, *, connect_timeout: float, command_timeout: float) -> PgReads | None:
    """PostgreSQL's hot reads straight through asyncpg; None on SQLite."""
    if make_url(url).get_backend_name() != "postgresql":
        return None
    return PgReads(url, connect_timeout=connect_timeout, command_timeout=command_timeout)


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.DependenciesContainer()
    engine = providers.Singleton(
        create_engine,
        settings.provided.database_url,
        connect_timeout=settings.provided.db_connect_timeout_seconds,
        command_timeout=settings.provided.db_command_timeout_seconds,
    )
    sessions = providers.Singleton(session_factory, engine)
    unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, sessions)
    read_engine = providers.Singleton(create_sync_read_engine, settings.provided.database_url)
    pg_reads = providers.Singleton(
        _pg_reads,
        settings.provided.database_url,
        connect_timeout=settings.provided.db_connect_timeout_seconds,
        command_timeout=settings.provided.db_command_timeout_seconds,
    )
    fleet_queries = providers.Singleton(
        CachedFleetQueries,
        providers.Singleton(SqlFleetQueries, engine, read_engine, pg=pg_reads),
        ttl_seconds=settings.provided.list_cache_ttl_seconds,
        view_ttl_seconds=settings.provided.detail_cache_ttl_seconds,
        signals=core.signals,
    )
    attestation_repository = providers.Singleton(
        SqlAttestationRepository,
        engine,
        sessions,
        on_device_changed=fleet_queries.provided.invalidate,
        signals=core.signals,
    )
    nonces = providers.Singleton(SqlNonceStore, engine)
    event_policy_repository = providers.Singleton(SqlEventPolicyRepository, engine)
    audit_log = providers.Singleton(SqlAuditLog, engine)
    alert_unit_of_work = providers.Factory(SqlAlertUnitOfWork, engine)
    live_relay = providers.Singleton(RedisLiveRelay, settings.provided.redis_url, core.live_stream)
    seal_repository = providers.Singleton(SqlSealRepository, engine)
    user_repository = providers.Singleton(SqlUserRepository, engine)
    seal_maker = providers.Singleton(PytssSealMaker)
    compliance_facts = providers.Singleton(
        SqlComplianceFacts, engine, sealed_devices=seal_repository.provided.sealed_devices
    )
    device_gateway = providers.Singleton(
        AgentGateway,
        engine,
        core.signals,
        core.clock,
        answer_timeout_seconds=settings.provided.attestation_answer_timeout_seconds,
    )
    credential_challenger = providers.Singleton(PytssCredentialChallenger)
    maintenance = providers.Singleton(SqlMetricsMaintenance, engine)
    uptime_ledger = providers.Singleton(SqlUptimeLedger, engine)
    leadership = providers.Singleton(_leadership, settings.provided.database_url)
    ek_verifier = providers.Singleton(_ek_verifier, settings.provided.ek_ca_bundle)
    artifact_signer = providers.Singleton(load_signer, settings.provided.rollout_signing_key)


class Services(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()
    recent_credentials = providers.Singleton(
        RecentCredentials,
        ttl=providers.Factory(timedelta, seconds=settings.provided.credential_cache_ttl_seconds),
        signals=core.signals,
    )
    inventory = providers.Singleton(
        DeviceInventory,
        uow=gateways.unit_of_work.provider,
        queries=gateways.fleet_queries,
        clock=core.clock,
        raw_retention=settings.provided.metrics_retention,
        recent_credentials=recent_credentials,
        seals=gateways.seal_repository,
    )
    commands = providers.Singleton(
        CommandService,
        uow=gateways.unit_of_work.provider,
        clock=core.clock,
        signals=core.signals,
        events=core.events,
    )
    telemetry = providers.Singleton(
        TelemetryRecorder,
        uow=gateways.unit_of_work.provider,
        queries=gateways.fleet_queries,
        events=core.events,
    )
    agents = providers.Singleton(
        AgentService,
        uow=gateways.unit_of_work.provider,
        clock=core.clock,
        queries=gateways.fleet_queries,
        telemetry=telemetry,
        heartbeat_interval_seconds=settings.provided.heartbeat_interval_seconds,
        events=core.events,
        recent_credentials=recent_credentials,
        audit=gateways.audit_log,
    )
    attestation = providers.Singleton(
        AttestationService,
        gateways.attestation_repository,
        gateways.nonces,
        gateways.device_gateway,
        core.verifier,
        core.clock,
        nonce_ttl=providers.Factory(timedelta, seconds=settings.provided.nonce_ttl_seconds),
        events=core.events,
        event_policies=gateways.event_policy_repository,
        replayer=core.replayer,
    )
    enrolment = providers.Singleton(
        AkEnrolment,
        gateways.attestation_repository,
        gateways.credential_challenger,
        providers.Object(attestation_key_from_public),
        core.clock,
        ek_verifier=gateways.ek_verifier,
    )
    policies = providers.Singleton(ReferencePolicies, gateways.attestation_repository, core.clock)
    event_policies = providers.Singleton(
        EventPolicies, gateways.event_policy_repository, gateways.attestation_repository, core.clock
    )
    alerts = providers.Singleton(
        AlertService,
        uow=gateways.alert_unit_of_work.provider,
        clock=core.clock,
        events=core.events,
        base_rules=providers.Singleton(load_alert_rules, settings.provided.alert_rules_file),
        signals=core.signals,
    )
    sealing = providers.Singleton(
        SealingService,
        gateways.attestation_repository,
        gateways.seal_repository,
        gateways.seal_maker,
        core.clock,
        views=gateways.fleet_queries,
    )
    sign_in = providers.Singleton(
        SignIn,
        gateways.user_repository,
        core.passwords,
        core.tokens,
        gateways.audit_log,
        core.clock,
        settings.provided.login_token_ttl,
    )
    user_accounts = providers.Singleton(UserAccounts, gateways.user_repository, core.passwords, core.clock)
    bulk = providers.Singleton(BulkOperations, commands, attestation, gateways.fleet_queries)
    uptime = providers.Singleton(UptimeService, gateways.uptime_ledger, core.clock)
    groups = providers.Singleton(
        GroupService, uow=gateways.unit_of_work.provider, queries=gateways.fleet_queries, clock=core.clock
    )
    rollouts = providers.Singleton(
        RolloutService,
        uow=gateways.unit_of_work.provider,
        commands=commands,
        attestation=attestation,
        groups=groups,
        policies=gateways.attestation_repository,
        clock=core.clock,
        event_policies=gateways.event_policy_repository,
        events=core.events,
        signer=gateways.artifact_signer,
        audit=gateways.audit_log,
    )
    compliance = providers.Singleton(
        ComplianceReview,
        gateways.fleet_queries,
        gateways.compliance_facts,
        core.clock,
        providers.Factory(timedelta, seconds=settings.provided.attestation_max_age_seconds),
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, settings=settings, core=core)
    services = providers.Container(Services, settings=settings, core=core, gateways=gateways)


def live_relay(container: Container):
    """Where live events go: Redis pub/sub when configured, else the PostgreSQL channel between workers,
    else straight to this process's clients (one worker on SQLite)."""
    if container.settings().redis_url:
        return container.gateways.live_relay()
    signals = container.core.signals()
    if isinstance(signals, PostgresSignals):
        return SignalsLiveRelay(signals, container.core.live_stream())
    return container.core.live_stream()


def channels(container: Container) -> list:
    """What connects this worker to the others, each with ``start()``/``stop()``: the signals channel
    (PostgreSQL) and the live stream's relay (Redis)."""
    found = [container.core.signals()] if isinstance(container.core.signals(), PostgresSignals) else []
    return found + ([container.gateways.live_relay()] if container.settings().redis_url else [])


async def shutdown_container(container: Container) -> None:
    """Release pools and threads; the container is unusable afterwards."""
    container.gateways.fleet_queries().close()
    if container.gateways.pg_reads() is not None:
        await container.gateways.pg_reads().close()
    await container.gateways.engine().dispose()


def build_container(settings: Settings | None = None) -> Container:
    start_mappers()
    container = Container(settings=settings or Settings.from_env())
    events = container.core.events()
    events.subscribe(container.core.metrics().on_event)
    events.subscribe(OperationalLog(container.services.alerts().rules).on_event)
    # The live stream first, so a status change reaches clients before the alert it raises.
    events.subscribe(live_relay(container).on_event)
    events.subscribe(container.services.alerts().on_event)
    events.subscribe(container.services.uptime().on_event)
    return container
