"""In a warm parent, on the crew it prebuilt (loader.prebuild) when that crew is a CrewAI ``Crew``:
the agent set-up CrewAI's kickoff does before the first task, done once ahead
(docs/runtime-protocol.md, "Warm starts").

A kickoff interpolates the run's inputs into its agents and tasks, then sets its agents up
(``crewai.crews.utils.setup_agents``): each agent gets the crew, the crew's defaults, and an
executor. Making an executor is most of a kickoff's own work before its first agent starts
(CrewAI 1.15's executor is a Flow that defines a new pydantic class per instance: ~15 ms each).
An agent that already has an executor gets it updated in place by the same call, with the prompt,
tools and task of that kickoff: CrewAI does that for every kickoff of a crew after its first.

So the parent calls ``setup_agents`` once, exactly as a kickoff would, but before any input; the
run's kickoff sets the agents up again with its inputs and updates the executors. Done only when
setting up reads nothing a run could change: no knowledge sources (their embeddings are made at
set-up) or skills (loaded from files at set-up), no per-crew tracing switch (an executor made
inside a kickoff takes the kickoff's), and no agent that has an executor already.

A crew the parent does not keep has its @CrewBase instance's global hooks unregistered
(:func:`forget_hooks`), so that each run's own crew is the only one whose hooks run.
"""

SET_UP = "agents set up"


def set_up_agents(crew):
    """Sets up the agents of an unused CrewAI crew as its kickoff would. Returns a line saying what
    was done or why not, or None when ``crew`` is not a CrewAI crew. Raises what CrewAI raises."""
    try:
        from crewai import Crew
        from crewai.crews.utils import setup_agents
    except ImportError:
        return None
    if not isinstance(crew, Crew):
        return None
    agents = _agents(crew)
    reason = _reason_not_to(crew, agents)
    if reason:
        return f"agents not set up: {reason}"
    setup_agents(crew, agents, crew.embedder, crew.function_calling_llm, crew.step_callback)
    return SET_UP


def _agents(crew):
    """The agents a kickoff sets up: the crew's, then those of its tasks that are not the crew's."""
    agents = list(crew.agents)
    seen = {id(agent) for agent in agents}
    for task in crew.tasks:
        if task.agent is not None and id(task.agent) not in seen:
            agents.append(task.agent)
            seen.add(id(task.agent))
    return agents


def _reason_not_to(crew, agents):
    if any(getattr(agent, "knowledge_sources", None) for agent in agents):
        return "an agent has knowledge sources"
    if crew.skills or any(getattr(agent, "skills", None) for agent in agents):
        return "the crew or an agent has skills"
    if crew.tracing:
        return "the crew switches tracing on"
    if any(getattr(agent, "agent_executor", None) is not None for agent in agents):
        return "an agent has an executor already"
    return None


def forget_hooks(instance):
    """Unregisters the hooks CrewAI registered globally for a @CrewBase ``instance`` when it was made
    (it lists them in ``_registered_hook_functions`` as (kind, function) pairs: the four legacy kinds
    by name, the others by their interception point)."""
    registered = getattr(instance, "_registered_hook_functions", None)
    if not registered:
        return
    from crewai import hooks

    for kind, function in registered:
        unregister = getattr(hooks, f"unregister_{kind}_hook", None)
        if unregister is not None:
            unregister(function)
        else:
            hooks.unregister_hook(hooks.InterceptionPoint(kind), function)
