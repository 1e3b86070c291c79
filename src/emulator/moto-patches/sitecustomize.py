"""
Loaded by the moto_server that startMotoServer() spawns (its PYTHONPATH points here).

Two places where moto 5 answers SQS GetQueueAttributes unlike AWS, and the AWS
provider either waits for 20 minutes or reports a change on every plan:

- RedriveAllowPolicy is stored but never returned (and is not a valid attribute
  name to ask for), so creating or deleting aws_sqs_queue_redrive_allow_policy
  waits until its timeout. AWS returns it, and omits it once it is cleared.
- RedrivePolicy comes back as `json.dumps` output with spaces; AWS returns compact
  JSON, so the queue's redrive_policy shows a whitespace-only change.

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
