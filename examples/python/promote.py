"""Promote one commit of a blueprint from test to production with the Python API.

Run it from the repository root: ``.venv/bin/python examples/python/promote.py``. It uses the
shipped sandbox targets ``sandbox-test`` and ``sandbox-prod`` (see targets.yaml).
"""

from usm_config import api

BLUEPRINT = "blueprints/examples/municipality"

# Check the blueprint as each environment sees it (overlays laid over it): [] when valid.
for target in ("sandbox-test", "sandbox-prod"):
    problems = api.validate(BLUEPRINT, target=target, strict=True)
    assert not problems, [p.render() for p in problems]

# Plan and apply test; the plan is the same object 'usm-config plan -o json' prints.
plan = api.plan(BLUEPRINT, "sandbox-test")
print(f"sandbox-test: {plan.summary()}")
outcome = api.apply(BLUEPRINT, "sandbox-test", plan=plan)
assert outcome.converged, outcome.remaining

# Then production, with the same blueprint: look at the plan before applying it.
plan = api.plan(BLUEPRINT, "sandbox-prod")
creates = [c.address for c in plan.changes if c.action == "create"]
print(f"sandbox-prod: {plan.summary()}; first: {creates[0]}")
outcome = api.apply(BLUEPRINT, "sandbox-prod", plan=plan)
print(f"applied {len(outcome.result.done)} change(s); converged: {outcome.converged}")
