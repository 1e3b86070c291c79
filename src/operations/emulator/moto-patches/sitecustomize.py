"""
Loaded by the moto_server that startMotoServer() spawns (its PYTHONPATH points here).

Two places where moto 5 answers SQS GetQueueAttributes unlike AWS, and the AWS
provider either waits for 20 minutes or reports a change on every plan:

- RedriveAllowPolicy is stored but never returned (and is not a valid attribute
  name to ask for), so creating or deleting aws_sqs_queue_redrive_allow_policy
  waits until its timeout. AWS returns it, and omits it once it is cleared.
- RedrivePolicy comes back as `json.dumps` output with spaces; AWS returns compact
  JSON, so the queue's redrive_policy shows a whitespace-only change.

And one place where moto 5 breaks a FIFO queue's order:

- A FIFO group whose received messages all time out comes back last message
  first. SQSBackend.receive_message skips a group while Queue.pending_message_groups
  names it, and a received message stays in Queue.pending_messages after its
  visibility timeout ran out, until the receive loop, walking the queue in order,
  reaches it. So m1 is skipped because the expired but still pending m2..m5 lock
  its group, and so on until m5, the last to be released, finds the group free
  and is delivered alone, first; and again after every timeout. (The group lock is
  also read at other moments than the messages' visibility, so fixing the pending
  set alone still lets m2 out before m1 when both time out within milliseconds.)
  AWS delivers a group's earliest message first, and nothing of a group while any
  of its messages is in flight. Patched: during a receive, the messages a FIFO
  queue offers (Queue.messages) are decided in one pass: a message whose timeout
  ran out is no longer in flight; a group with a message in flight offers nothing;
  the others offer their messages in queue order; the loop's own group lock is
  then not needed. A long poll also wakes when an in-flight message times out (as
  on AWS; moto woke only for new messages). Outside receives nothing changes (the
  queue's message counts are moto's).
- A batch receive takes a FIFO queue's messages in queue order across groups (a1 b1
  a2 b2 ...). SQS "returns as many messages with the same message group ID as
  possible" (AWS knowledge center, sqs-fifo-messages-not-returned), so a Lambda
  batch is mostly one entity's webhooks. Patched with the pass above: the
  receivable messages are ordered group by group (each group's in queue order,
  groups in the order of their first message).
- Concurrent receives (Lambda's pollers long-poll side by side) each check a group's
  lock for themselves: two woken by one new message can both take from one group.
  Patched: receives look at the queues one at a time (not while one waits).
- A long poll on a FIFO queue does not wake when a group's held message is deleted
  or made visible (ChangeMessageVisibility), only for new messages or once a second:
  the group's next message waits up to a second, so one busy group looks far slower
  than on AWS. Patched: deleting a message or changing its visibility wakes the
  queue's long polls, which look again.

And two places where moto accepts a message SQS refuses:

- SQS counts a message's attributes (each one's name, data type and value) with its body
  against the queue's MaximumMessageSize; moto counts the body alone (and in characters).
  A webhook at the limit then fits in moto with attributes SQS would refuse, and the
  forwarder's quarantine of such a webhook (its attributes and a reason) is never tested
  against the refusal it meets on AWS. Patched: SendMessage counts as SQS does, in bytes.
- SQS refuses a MessageGroupId or MessageDeduplicationId that is not 1..128 ASCII letters,
  digits and punctuation (no space, nothing else): 400 InvalidParameterValue,
  "Value <value> for parameter MessageGroupId is invalid. Reason: MessageGroupId can only
  include alphanumeric and punctuation characters. 1 to 128 in length." moto accepts any
  string, so a webhook whose mapped group is too long or not ASCII is queued by `npm run
  local` and lost at the door on AWS. Patched: SendMessage and SendMessageBatch check both
  IDs as SQS does (a batch with one bad entry is refused whole; SQS fails that entry).

And one place where moto forgets what SQS remembers:

- SQS deduplicates a FIFO queue's MessageDeduplicationId (explicit or content-based) for 5
  minutes from the first accepted send, whether or not that message is still queued, and
  answers a duplicate send with success and the first message's MessageId and sequence
  number. moto compares with the messages still queued, so a provider's retry after the
  first delivery was received and deleted is queued and delivered again. Patched: each FIFO
  queue remembers every accepted deduplication ID for the window (per group when its
  DeduplicationScope is messageGroup, where moto compared queue-wide); a duplicate is not
  queued and gets the first send's MessageId and SequenceNumber. A message a redrive policy
  moves into a DLQ is not a send: the window does not apply to it.
  WEBHOOK_QUEUE_MOTO_DEDUPLICATION_SECONDS shortens the window (300 s) for tests.

And one speed-up: SQS's clock (`moto.sqs.models.unix_time[_millis]`) reads time.time()
instead of going through datetime objects. A receive reads it twice per message per pass
over the queue, about 30 passes: with 500 messages queued, a receive took ~280 ms, and
moto's lock on the interpreter made every receive of every poller wait its turn.

And one place where moto does Lambda's work itself:

- A queue with an enabled SQS event source mapping: every SendMessage makes moto receive a
  batch there and then and invoke the function, which it cannot do without Docker; the
  batch comes back with its receive count up by one, towards the DLQ. Lambda's own pollers
  (here: `npm run local`'s event source mapping) are what receive. Patched: a queue knows
  no event source mapping, so a send never invokes anything; the mappings stay in moto's
  Lambda (List/Get/UpdateEventSourceMapping, Enabled and Disabled as set).

And one CloudWatch statistic moto lacks:

- Percentiles (`p50`, `p99`, ...), which GetMetricData, dashboards and `webhook-queue status` ask
  for: moto computes Sum, Average, Minimum, Maximum and SampleCount, and returns nothing for the
  rest. Patched: a percentile is the nearest-rank value of the period's raw values.

Nothing else is changed. docs/terraform.md lists these under "Emulator quirks".
"""
import json
import sys

try:
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES.append("RedriveAllowPolicy")

        def _get_redrive_allow_policy(queue):
            return queue.__dict__.get("_redrive_allow_policy") or None

        def _set_redrive_allow_policy(queue, value):
            queue.__dict__["_redrive_allow_policy"] = value or None

        Queue.redrive_allow_policy = property(_get_redrive_allow_policy, _set_redrive_allow_policy)

        _moto_attributes = Queue.attributes.fget

        def _attributes(queue):
            result = _moto_attributes(queue)
            if result.get("RedrivePolicy"):
                result["RedrivePolicy"] = json.dumps(json.loads(result["RedrivePolicy"]), separators=(",", ":"))
            return result

        Queue.attributes = property(_attributes)
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS patches not applied: {error!r}", file=sys.stderr)

try:
    import time

    import moto.sqs.models as _sqs_models

    _moto_unix_time = _sqs_models.unix_time

    def _unix_time(dt=None):
        # moto's own: utcnow() minus the epoch through datetime objects, several microseconds a
        # call; SQS reads the clock twice per message per pass, 30 passes per receive.
        return time.time() if dt is None else _moto_unix_time(dt)

    def _unix_time_millis(dt=None):
        return _unix_time(dt) * 1000.0

    _sqs_models.unix_time = _unix_time
    _sqs_models.unix_time_millis = _unix_time_millis
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS clock patch not applied: {error!r}", file=sys.stderr)

try:
    import inspect
    import threading

    from moto.sqs.models import Message, Queue, SQSBackend, unix_time_millis

    # What the fix relies on: receive_message reads the receivable messages (Queue.messages,
    # once per pass over the queue), the group lock and the long-poll wait from the queue.
    _receive_source = inspect.getsource(SQSBackend.receive_message)
    _reads = ("messages", "pending_messages", "pending_message_groups", "wait_for_messages")
    if not all(f"queue.{name}" in _receive_source for name in _reads) or "self.visible_at" not in inspect.getsource(Message):
        raise RuntimeError("SQSBackend.receive_message no longer works as this patch expects")

    _receiving = threading.local()
    _moto_receive_message = SQSBackend.receive_message
    _moto_messages = Queue.messages.fget
    _moto_pending_message_groups = Queue.pending_message_groups.fget
    _moto_wait_for_messages = Queue.wait_for_messages

    # Receives look at the queue one at a time (the lock is let go while one waits): two
    # concurrent receives could otherwise both see a group free and both take from it.
    _receive_lock = threading.Lock()

    def _receive_message(backend, *args, **kwargs):
        depth = getattr(_receiving, "depth", 0)
        _receiving.depth = depth + 1
        if depth == 0:
            _receive_lock.acquire()
        try:
            return _moto_receive_message(backend, *args, **kwargs)
        finally:
            _receiving.depth = depth
            if depth == 0:
                _receive_lock.release()

    def _in_fifo_receive(queue):
        return queue.fifo_queue and getattr(_receiving, "depth", 0) > 0

    def _receivable_messages(queue):
        if not _in_fifo_receive(queue):
            return _moto_messages(queue)
        seen = [(message, message.visible) for message in queue._messages]  # one clock reading per message
        in_flight = {message.group_id for message, visible in seen if not visible}
        receivable = []
        for message, visible in seen:
            if not visible:
                continue
            queue.pending_messages.discard(message)  # its visibility timeout ran out: no longer in flight
            if not message.delayed and message.group_id not in in_flight:
                receivable.append(message)
        # As many messages of one group as possible, then the next group's (see the docstring).
        first_seen = {}
        for position, message in enumerate(receivable):
            first_seen.setdefault(message.group_id, position)
        return sorted(receivable, key=lambda message: first_seen[message.group_id])

    def _pending_message_groups(queue):
        # During a receive the group lock is applied by _receivable_messages.
        return set() if _in_fifo_receive(queue) else _moto_pending_message_groups(queue)

    def _wait_for_messages(queue, timeout):
        if _in_fifo_receive(queue):
            now = unix_time_millis()
            timeouts = [message.visible_at for message in queue._messages if message.visible_at >= now]
            if timeouts:
                timeout = min(timeout, (min(timeouts) - now) / 1000 + 0.005)
        if getattr(_receiving, "depth", 0) == 0:
            return _moto_wait_for_messages(queue, timeout)
        _receive_lock.release()
        try:
            return _moto_wait_for_messages(queue, timeout)
        finally:
            _receive_lock.acquire()

    SQSBackend.receive_message = _receive_message
    Queue.messages = property(_receivable_messages)
    Queue.pending_message_groups = property(_pending_message_groups)
    Queue.wait_for_messages = _wait_for_messages
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS FIFO order patch not applied: {error!r}", file=sys.stderr)

try:
    import inspect

    from moto.sqs.models import Queue, SQSBackend

    if "_messages_lock" not in inspect.getsource(Queue.__init__):
        raise RuntimeError("Queue no longer waits on _messages_lock")

    _moto_delete_message = Queue.delete_message
    _moto_change_message_visibility = SQSBackend.change_message_visibility

    def _wake_long_polls(queue):
        with queue._messages_lock:
            queue._messages_lock.notify_all()

    def _delete_message(queue, receipt_handle):
        _moto_delete_message(queue, receipt_handle)
        _wake_long_polls(queue)

    def _change_message_visibility(backend, queue_name, receipt_handle, visibility_timeout):
        _moto_change_message_visibility(backend, queue_name, receipt_handle, visibility_timeout)
        _wake_long_polls(backend.get_queue(queue_name))

    Queue.delete_message = _delete_message
    SQSBackend.change_message_visibility = _change_message_visibility
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS long-poll wake patch not applied: {error!r}", file=sys.stderr)


try:
    import base64

    from moto.sqs.models import SQSBackend
    from moto.sqs.exceptions import InvalidParameterValue

    _moto_send_message = SQSBackend.send_message

    def _message_size(body, attributes):
        total = len(body.encode("utf-8"))
        for name, attribute in (attributes or {}).items():
            total += len(name.encode("utf-8")) + len(str(attribute.get("DataType", "")).encode("utf-8"))
            if attribute.get("StringValue") is not None:
                total += len(str(attribute["StringValue"]).encode("utf-8"))
            elif attribute.get("BinaryValue") is not None:
                value = attribute["BinaryValue"]
                total += len(base64.b64decode(value)) if isinstance(value, str) else len(value)
        return total

    def _send_message(backend, queue_name, message_body, message_attributes=None, *args, **kwargs):
        limit = int(backend.get_queue(queue_name).maximum_message_size)
        if _message_size(message_body, message_attributes) > limit:
            raise InvalidParameterValue(f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
        return _moto_send_message(backend, queue_name, message_body, message_attributes, *args, **kwargs)

    SQSBackend.send_message = _send_message
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS message size patch not applied: {error!r}", file=sys.stderr)

try:
    import inspect

    from moto.sqs.models import Queue

    if "self.lambda_event_source_mappings" not in inspect.getsource(Queue.add_message):
        raise RuntimeError("Queue.add_message no longer invokes event source mappings as this patch expects")

    # What add_message walks (and create_event_source_mapping fills) is always empty.
    Queue.lambda_event_source_mappings = property(lambda queue: {}, lambda queue, mappings: None)
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS event source mapping patch not applied: {error!r}", file=sys.stderr)

try:
    import re

    from moto.sqs.exceptions import InvalidParameterValue
    from moto.sqs.models import SQSBackend

    # SendMessage's rule for both IDs: 1..128 ASCII letters, digits and punctuation.
    _SQS_FIFO_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
    _moto_validate_message = SQSBackend._validate_message

    def _validate_message(backend, queue, message_body, delay_seconds, deduplication_id=None, group_id=None, *args, **kwargs):
        # SendMessage validates through here, and SendMessageBatch every entry before it sends any.
        for parameter, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", deduplication_id)):
            if value is not None and not (isinstance(value, str) and _SQS_FIFO_ID.fullmatch(value)):
                raise InvalidParameterValue(
                    f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include"
                    " alphanumeric and punctuation characters. 1 to 128 in length."
                )
        return _moto_validate_message(backend, queue, message_body, delay_seconds, deduplication_id, group_id, *args, **kwargs)

    SQSBackend._validate_message = _validate_message
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS group and deduplication ID patch not applied: {error!r}", file=sys.stderr)

try:
    import collections
    import os
    import threading

    import moto.sqs.models as _sqs_models
    from moto.sqs.models import Queue

    if not hasattr(_sqs_models, "DEDUPLICATION_TIME_IN_SECONDS"):
        raise RuntimeError("moto.sqs.models.DEDUPLICATION_TIME_IN_SECONDS is gone")

    # SQS's deduplication interval: 5 minutes. Tests shorten it to see it end.
    _DEDUPLICATION_SECONDS = float(os.environ.get("WEBHOOK_QUEUE_MOTO_DEDUPLICATION_SECONDS") or 300)
    # moto's own check (against the messages still queued) then never outlasts the window.
    _sqs_models.DEDUPLICATION_TIME_IN_SECONDS = _DEDUPLICATION_SECONDS
    _deduplication_lock = threading.Lock()
    # Defined after the event source mapping patch, which reads moto's own add_message.
    _moto_add_message = Queue.add_message

    def _first_accepted(queue, message):
        """The first accepted send of this message's deduplication ID within the window, or None (and it is now)."""
        scope = message.group_id if queue.deduplication_scope == "messageGroup" else None
        key = (scope, message.deduplication_id)
        sent_at = message.sent_timestamp / 1000
        with _deduplication_lock:
            # Oldest first: forget what the window has passed.
            accepted = queue.__dict__.setdefault("_deduplication_window", collections.OrderedDict())
            while accepted and sent_at - next(iter(accepted.values()))[0] >= _DEDUPLICATION_SECONDS:
                accepted.popitem(last=False)
            first = accepted.get(key)
            if first is None:
                accepted[key] = (sent_at, message.id, message.sequence_number)
            return first

    def _add_message(queue, message):
        # A message never received is being sent; one a redrive policy moves into its DLQ has
        # been received maxReceiveCount times, and a move is not deduplicated.
        if queue.fifo_queue and message.deduplication_id is not None and message.approximate_receive_count == 0:
            first = _first_accepted(queue, message)
            if first is not None:
                # Accepted, not queued: SQS answers with the first message's ID and sequence number.
                _, message.id, message.sequence_number = first
                return None
            if queue.deduplication_scope == "messageGroup":
                # moto's own check would drop it for a queued message of another group with the same
                # ID; the window above has decided, per group. What moto then does: queue it, wake polls.
                with queue._messages_lock:
                    queue._messages.append(message)
                    queue._messages_lock.notify_all()
                return None
        return _moto_add_message(queue, message)

    Queue.add_message = _add_message
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto SQS deduplication window patch not applied: {error!r}", file=sys.stderr)

try:
    import math
    import re

    from moto.cloudwatch.models import Statistics

    # CloudWatch's percentile statistics (p50, p99, p99.9), which GetMetricData and the dashboards
    # ask for; moto knows only Sum, Average, Minimum, Maximum and SampleCount (None for the rest).
    _PERCENTILE = re.compile(r"p(\d{1,2}(\.\d+)?|100)")
    _moto_statistic = Statistics.get_statistics_for_type

    def _get_statistics_for_type(stats, stat):
        match = _PERCENTILE.fullmatch(stat) if isinstance(stat, str) else None
        if match is None:
            return _moto_statistic(stats, stat)
        values = sorted(stats.metric_single_values_list)
        if not values:
            return None
        # Nearest rank over the values in the period, as CloudWatch computes a percentile of raw values.
        rank = max(1, math.ceil(float(match.group(1)) / 100 * len(values)))
        return values[rank - 1]

    Statistics.get_statistics_for_type = _get_statistics_for_type
except Exception as error:  # an unexpected moto version: run unpatched, but say so
    print(f"[webhook-queue] moto CloudWatch percentile patch not applied: {error!r}", file=sys.stderr)
