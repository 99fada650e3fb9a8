"""Importing a Zendesk account's setup from the JSON its API returns (`manage.py import_zendesk DIR`).

`reading` loads one file per kind, `mapping` turns Zendesk's ids into ours, `setup` imports groups, agents, ticket
fields and webhooks, `rules` imports macros, triggers and automations through the APIs' own validation and services,
`report` prints the result, and `run` ties them together in one transaction.
"""
