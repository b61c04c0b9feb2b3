"""The routing engine exactly as it was at commit a29a49e (before it learnt to route tasks),
frozen here as the reference that ``tests/unit/test_customer_routing_unchanged.py``
compares today's engine with: the same customers, rules and reps must get the same
decisions from both. Never edit these files except to follow an import rename; the bulk
modules are left out (the property test routes one customer at a time).
"""
