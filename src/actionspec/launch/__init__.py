"""Process launching: charm directories, dispatch processes, the zygote, scratch space.

Everything that starts a real process for a dispatch lives here, between the hook tools
(which it serves to the processes) and the suite and targets (which use it).
"""
