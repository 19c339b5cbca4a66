"""The hub's admission queue (classroom_hub.admission) and the spawner that waits in it, driven by
asyncio tasks as the hub drives them: order, the place each student is shown, no starvation, a failed
start freeing its slot, a hub restart with students waiting."""

import asyncio
from types import SimpleNamespace

import pytest

from classroom_hub.admission import Admission, default_limit
from classroom_hub.spawner import ClassroomSpawner


async def settle():
    """Lets every ready task run until all of them wait again."""
    for _ in range(20):
        await asyncio.sleep(0)


def arrive(admission: Admission, names: list[str], admitted: list[str]) -> list[asyncio.Task]:
    async def one(name):
        await admission.enter(name)
        admitted.append(name)
    return [asyncio.ensure_future(one(name)) for name in names]


def test_first_come_first_served():
    async def scenario():
        admission, admitted = Admission(2), []
        tasks = arrive(admission, ["s1", "s2", "s3", "s4", "s5"], admitted)
        await settle()
        assert admitted == ["s1", "s2"]
        assert [admission.ahead_of(n) for n in ["s1", "s3", "s4", "s5"]] == [None, 0, 1, 2]
        admission.leave("s2")
        await settle()
        assert admitted == ["s1", "s2", "s3"]
        admission.leave("s1")
        admission.leave("s3")
        await settle()
        assert admitted == ["s1", "s2", "s3", "s4", "s5"]
        await asyncio.gather(*tasks)
    asyncio.run(scenario())


def test_places_shown_to_a_waiting_student_count_down_to_their_turn():
    async def scenario():
        admission, admitted = Admission(1), []
        arrive(admission, ["s1", "s2", "s3", "s4"], admitted)
        await settle()
        shown = []

        async def watch():
            async for ahead in admission.places("s4"):
                shown.append(ahead)
        watcher = asyncio.ensure_future(watch())
        await settle()
        for name in ["s1", "s2", "s3"]:
            admission.leave(name)
            await settle()
        await asyncio.wait_for(watcher, 1)
        assert shown == [2, 1, 0]
        assert admitted[-1] == "s4"
    asyncio.run(scenario())


def test_no_starvation_under_a_steady_stream_of_arrivals():
    """Students arriving later never pass one who waits: each is admitted within the queue's length."""
    async def scenario():
        admission, admitted = Admission(2), []
        arrive(admission, ["early1", "early2", "waiting"], admitted)
        await settle()
        for round_number in range(10):
            arrive(admission, [f"late{round_number}"], admitted)
            await settle()
            admission.leave(admitted[round_number])
            await settle()
        assert admitted.index("waiting") == 2
        assert admitted[3:] == [f"late{i}" for i in range(len(admitted) - 3)]
    asyncio.run(scenario())


def test_a_student_who_gives_up_waiting_leaves_the_queue_and_frees_no_one_elses_slot():
    async def scenario():
        admission, admitted = Admission(1), []
        tasks = arrive(admission, ["s1", "s2", "s3"], admitted)
        await settle()
        tasks[1].cancel()
        await settle()
        assert admission.ahead_of("s3") == 0 and admission.starting == {"s1"}
        admission.leave("s1")
        await settle()
        assert admitted == ["s1", "s3"]
    asyncio.run(scenario())


class FakeUser(SimpleNamespace):
    pass


def spawner_with(limit: int, name: str, hook) -> ClassroomSpawner:
    spawner = ClassroomSpawner(user=FakeUser(name=name, id=1, url=f"/user/{name}/", escaped_name=name),
                               admission_limit=limit, pre_spawn_hook=hook)
    # As the hub's spawn handler does before it calls user.spawn.
    spawner._spawn_pending = True
    return spawner


@pytest.fixture(autouse=True)
def fresh_queue():
    """A new hub process: the queue is the process's, so every test starts with an empty one."""
    ClassroomSpawner._admission = None
    yield
    ClassroomSpawner._admission = None


def test_a_failed_pre_spawn_step_frees_its_slot():
    async def scenario():
        def failing_hook(spawner):
            raise RuntimeError("the course copy failed")
        first = spawner_with(1, "s1", failing_hook)
        with pytest.raises(RuntimeError, match="course copy"):
            await first.run_pre_spawn_hook()
        second = spawner_with(1, "s2", None)
        await asyncio.wait_for(second.run_pre_spawn_hook(), 1)
        assert second.admission.starting == {"s2"}
    asyncio.run(scenario())


def test_the_slot_is_held_until_the_hub_is_done_with_the_start_ready_or_failed():
    async def scenario():
        first, second = spawner_with(1, "s1", None), spawner_with(1, "s2", None)
        await first.run_pre_spawn_hook()
        waiting = asyncio.ensure_future(second.run_pre_spawn_hook())
        await asyncio.sleep(0.6)
        # Spawner.start has returned; the server itself is still starting: s2 still waits.
        assert not waiting.done() and first.admission.ahead_of("s2") == 0
        # The hub gives up on s1 (http_timeout) or calls it ready: either way pending ends.
        first._spawn_pending = False
        await asyncio.wait_for(waiting, 2)
        assert first.admission.starting == {"s2"}
    asyncio.run(scenario())


def test_a_student_who_tries_again_right_after_a_failed_start_gets_a_slot():
    async def scenario():
        spawner = spawner_with(1, "s1", None)
        await spawner.run_pre_spawn_hook()
        # The hub gives up and the student clicks again before the slot was seen free.
        spawner._spawn_pending = False
        spawner._spawn_pending = True
        await asyncio.wait_for(spawner.run_pre_spawn_hook(), 1)
        assert spawner.admission.starting == {"s1"}
    asyncio.run(scenario())


def test_progress_tells_a_waiting_student_how_many_are_ahead():
    async def scenario():
        spawners = [spawner_with(1, f"s{i}", None) for i in range(1, 5)]
        await spawners[0].run_pre_spawn_hook()
        waiting = [asyncio.ensure_future(s.run_pre_spawn_hook()) for s in spawners[1:]]
        await settle()
        events = []

        async def follow():
            async for event in spawners[3].progress():
                events.append(event["message"])
        follower = asyncio.ensure_future(follow())
        await settle()
        for spawner in spawners[:3]:
            spawner._spawn_pending = False
            await asyncio.sleep(0.5)
        await asyncio.wait_for(follower, 2)
        assert events == [
            "Waiting for a turn to start: 2 students ahead of you",
            "Waiting for a turn to start: 1 student ahead of you",
            "Waiting for a turn to start: You are next to start",
            "Spawning server...",
        ]
        await asyncio.gather(*waiting)
    asyncio.run(scenario())


def test_a_hub_restart_with_students_waiting_starts_from_an_empty_queue():
    """The queue is the hub process's: a restart forgets who waited and who held a slot, so the first
    student to ask again after the restart starts at once instead of waiting for slots nobody frees."""
    async def before_restart():
        spawners = [spawner_with(1, f"s{i}", None) for i in range(1, 4)]
        await spawners[0].run_pre_spawn_hook()
        waiting = [asyncio.ensure_future(s.run_pre_spawn_hook()) for s in spawners[1:]]
        await settle()
        assert spawners[0].admission.ahead_of("s3") == 1
        # The hub stops: its event loop ends with the waiting spawns cancelled.
        for task in waiting:
            task.cancel()
    asyncio.run(before_restart())
    ClassroomSpawner._admission = None  # a new hub process

    async def after_restart():
        again = spawner_with(1, "s3", None)
        await asyncio.wait_for(again.run_pre_spawn_hook(), 1)
        assert again.admission.starting == {"s3"}
    asyncio.run(after_restart())


@pytest.mark.parametrize(("cpus", "cpu_limit", "expected"), [(2, 1.0, 4), (2, 0.5, 8), (4, 2.0, 8), (1, 0.3, 6)])
def test_the_default_limit_is_twice_the_droplets_vcpus_over_a_students_cpu_share(cpus, cpu_limit, expected):
    assert default_limit(cpu_limit, cpus) == expected
