"""One rollout scheduler per fleet on PostgreSQL: of two workers only the holder of the job lock steps
rollouts; when it dies the other takes over and finishes the rollout, no device updated twice."""

from __future__ import annotations

import pytest

from domain.jobs import JobRunner
from entrypoints.jobs import server_jobs
from tests.integration.rollout_devices import ARTIFACT, NEW, drive, enrol_fleet, publish_policy
from tests.integration.test_multi_worker import eventually, worker

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


def scheduler_of(container) -> tuple[JobRunner, object]:
    [job] = [j for j in server_jobs(container) if j.name == "rollout-scheduler"]
    assert job.fleet_wide
    return JobRunner([job], container.gateways.leadership()), job


async def test_the_next_worker_finishes_a_dead_workers_rollout(tmp_path, database_url):
    async with (
        worker(tmp_path / "a", database_url) as (a, first),
        worker(tmp_path / "b", database_url) as (b, second),
    ):
        admin = dict(b.headers)
        devices = await enrol_fleet(b, admin, 4)
        for device in devices:
            await b.put(f"/api/v1/edge/devices/{device.device_id}/tags", json={"tags": ["all"]})
        await b.post("/api/v1/edge/groups", json={"name": "all", "kind": "static", "tag": "all"})
        await publish_policy(b, admin)
        body = {
            "name": "r",
            "group": "all",
            "firmware_version": NEW,
            "artifact": ARTIFACT,
            "phases": {"canary": 1, "percentages": [50, 100]},
        }
        rollout = (await a.post("/api/v1/edge/rollouts", json=body)).json()
        (runner_a, job_a), (runner_b, job_b) = scheduler_of(first), scheduler_of(second)

        async def step_a():
            assert await runner_a.run_once(job_a)

        await drive(first, devices, a, admin, rollout["id"], {"running"}, steps=2, step=step_a)
        assert not await runner_b.run_once(job_b)  # the other worker holds the lock: one scheduler
        sent_before = sum(bool(d.updates) for d in devices)
        assert 1 <= sent_before < 4
        await first.gateways.leadership().release()  # its process dies: PostgreSQL frees the lock
        assert await eventually(second.gateways.leadership().holds, 10)

        async def step_b():
            assert await runner_b.run_once(job_b)

        done = await drive(second, devices, b, admin, rollout["id"], {"completed", "aborted"}, step=step_b)
        assert done["state"] == "completed" and done["devices"]["succeeded"] == 4
        assert [d.updates for d in devices] == [[NEW]] * 4
