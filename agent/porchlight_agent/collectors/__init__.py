"""The agent's collectors: health, wifi, inventory, apps (conntrack) and probes, one module each, each reading
the gateway only through ``porchlight_agent.sources.Sources``. Import the one you need; this package imports
nothing eagerly, so a gateway that runs only some collectors does not pay for the others."""
