"""Rule-base assurance: ``rules check`` (static checks, contradictions, exhaustive completeness,
consistency invariants), ``rules coverage`` and ``rules diff``. See docs/assurance.md.

Modules: :mod:`.check` runs every check; :mod:`.conditions` and :mod:`.values` reason over the
condition language; :mod:`.static` holds the checks on bands, reach, sources and parameters;
:mod:`.conflicts` the pairs of rules asserting one slot; :mod:`.completeness` with
:mod:`.reduction` and :mod:`.situations` the enumeration; :mod:`.invariants` the consistency
invariants and :mod:`.consistency` their sweep over the enumeration; :mod:`.coverage` and
:mod:`.diff` the other two commands; :mod:`.report` their text and JSON forms.
"""
