"""The rule language: file models (:mod:`.model`), loading (:mod:`.load`) and compilation
(:mod:`.compile`) into an engine-neutral form that :mod:`scaleup.engine.durable` runs on durable_rules."""
