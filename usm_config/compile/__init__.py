"""What every adapter's pure compile step shares.

:mod:`~usm_config.compile.walk` visits the blueprint's nested elements with their paths and
builds :class:`~usm_config.compile.walk.Lookups`; :mod:`~usm_config.compile.sink` collects
records and finds clashes; :mod:`~usm_config.compile.settings` checks ``x-<adapter>`` settings
against a table; :mod:`~usm_config.compile.article` is the tool-neutral view of a workflow
article that each adapter renders in its own template; :mod:`~usm_config.compile.memo` keeps an
adapter from building the records of one blueprint object twice.
"""
