"""A workflow as Mermaid or Graphviz DOT source, to paste into a wiki or a pull request.

Both formats leave the placement to the renderer (GitHub renders Mermaid in Markdown); they
carry the same content as the SVG: one group per process, the steps in sequence, the hand-over
and resume edges, the status each step sets and the SLA clocks.
"""

from __future__ import annotations

from usm_config.render.diagram.flow import Flow, FlowStep


def _notes(step: FlowStep, flow: Flow) -> list[str]:
    notes = []
    if step.hands_over_to:
        notes.append("→ " + flow.words.fork.format(process=step.hands_over_to))
    if step.resumes_after:
        notes.append("← " + flow.words.resumes.format(process=step.resumes_after))
    if step.status:
        notes.append("⇒ " + flow.words.status.format(status=step.status))
    return notes


def _mermaid_text(text: str) -> str:
    # Mermaid reads entity codes inside quoted labels; a bare quote would end the label.
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def render_mermaid(flow: Flow) -> str:
    """The workflow as a Mermaid flowchart (top to bottom, one subgraph per process)."""
    out = ["flowchart TB", f"  %% {flow.title}"]
    for index, lane in enumerate(flow.lanes):
        out.append(f'  subgraph p{index}["{_mermaid_text(lane.name)}"]')
        out.append("    direction TB")
        for step in flow.steps:
            if step.lane == index:
                label = "<br/>".join(_mermaid_text(t) for t in [step.label, *_notes(step, flow)])
                out.append(f'    s{step.position}["{label}"]')
        out.append("  end")
    for before, after in zip(flow.steps, flow.steps[1:], strict=False):
        arrow = "-.->" if before.lane != after.lane else "-->"
        out.append(f"  s{before.position} {arrow} s{after.position}")
    for index, clock in enumerate(flow.clocks, start=1):
        name = _mermaid_text(f"{clock.name} ({clock.target})")
        out.append(f'  c{index}(["⏱ {name}"])')
        out.append(f"  s{clock.start} -. {_mermaid_text(flow.words.clock_start)} .- c{index}")
        out.append(f"  c{index} -. {_mermaid_text(flow.words.clock_stop)} .- s{clock.stop}")
    out.append("  classDef fork stroke:#b3541e,stroke-width:3px")
    out.append("  classDef resume stroke:#2e6f40,stroke-width:3px")
    forks = [f"s{s.position}" for s in flow.steps if s.hands_over_to]
    resumes = [f"s{s.position}" for s in flow.steps if s.resumes_after]
    if forks:
        out.append(f"  class {','.join(forks)} fork")
    if resumes:
        out.append(f"  class {','.join(resumes)} resume")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_dot(flow: Flow) -> str:
    """The workflow as a Graphviz digraph (one cluster per process)."""
    out = [
        "digraph workflow {",
        f'  label="{_dot_text(flow.title)}";',
        "  labelloc=t;",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="DejaVu Sans"];',
    ]
    for index, lane in enumerate(flow.lanes):
        out.append(f"  subgraph cluster_p{index} {{")
        out.append(f'    label="{_dot_text(lane.name)}";')
        out.append('    style=filled; fillcolor="#eef2f6";')
        for step in flow.steps:
            if step.lane == index:
                label = "\\n".join(_dot_text(t) for t in [step.label, *_notes(step, flow)])
                colour = (
                    ', color="#b3541e", penwidth=2'
                    if step.hands_over_to
                    else ', color="#2e6f40", penwidth=2'
                    if step.resumes_after
                    else ""
                )
                out.append(f'    s{step.position} [label="{label}"{colour}];')
        out.append("  }")
    for before, after in zip(flow.steps, flow.steps[1:], strict=False):
        style = " [style=dashed]" if before.lane != after.lane else ""
        out.append(f"  s{before.position} -> s{after.position}{style};")
    for index, clock in enumerate(flow.clocks, start=1):
        label = _dot_text(f"{clock.name} ({clock.target})")
        out.append(f'  c{index} [label="⏱ {label}", shape=note, fillcolor="#fff8e1"];')
        start, stop = _dot_text(flow.words.clock_start), _dot_text(flow.words.clock_stop)
        out.append(f'  s{clock.start} -> c{index} [style=dotted, arrowhead=none, label="{start}"];')
        out.append(f'  c{index} -> s{clock.stop} [style=dotted, label="{stop}"];')
    out.append("}")
    return "\n".join(out) + "\n"
