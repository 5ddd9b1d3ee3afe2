"""The controller side: what Juju does when an administrator runs an action."""
