from entrypoints.agent.buffer import SampleBuffer


def samples(n, start=0):
    return [{"n": i} for i in range(start, start + n)]


def fill(buffer, items):
    for item in items:
        buffer.add(item)


def test_a_full_buffer_drops_the_oldest_samples_and_counts_them():
    buffer = SampleBuffer(capacity=5)
    fill(buffer, samples(8))
    batch = buffer.batch()
    assert [s["n"] for s in batch.samples] == [3, 4, 5, 6, 7]
    assert batch.dropped == 3 and buffer.dropped_total == 3


def test_batches_hold_at_most_one_hundred_samples_oldest_first():
    buffer = SampleBuffer(capacity=1000)
    fill(buffer, samples(250))
    first = buffer.batch()
    assert len(first.samples) == 100 and first.samples[0] == {"n": 0}
    buffer.acknowledge(first)
    assert buffer.batch().samples[0] == {"n": 100} and len(buffer) == 150


def test_an_acknowledged_heartbeat_clears_the_dropped_count_it_reported():
    buffer = SampleBuffer(capacity=2)
    fill(buffer, samples(5))
    buffer.acknowledge(buffer.batch())
    assert buffer.dropped == 0 and len(buffer) == 0 and buffer.batch() is None


def test_drops_while_a_heartbeat_is_in_flight_are_reported_next_time():
    buffer = SampleBuffer(capacity=3)
    fill(buffer, samples(3))
    in_flight = buffer.batch()
    fill(buffer, samples(2, start=3))  # pushes out samples 0 and 1, which are in flight
    buffer.acknowledge(in_flight)
    following = buffer.batch()
    assert [s["n"] for s in following.samples] == [3, 4]
    assert following.dropped == 2


def test_an_unacknowledged_batch_is_sent_again():
    buffer = SampleBuffer()
    fill(buffer, samples(3))
    assert buffer.batch() == buffer.batch()


def test_a_refused_batch_is_discarded_and_counted_as_dropped():
    buffer = SampleBuffer()
    fill(buffer, samples(3))
    buffer.discard(buffer.batch())
    assert len(buffer) == 0 and buffer.dropped == 3
