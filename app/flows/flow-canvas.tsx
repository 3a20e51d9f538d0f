"use client";

import "@xyflow/react/dist/style.css";
import ELK from "elkjs/lib/elk.bundled.js";
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { edgeLabel, elkInput, healthClass, kindLabel, nodeLines } from "@/lib/flows/view";
import type { FlowGraphView } from "./types";

type FlowNodeData = { node: FlowGraphView["nodes"][number]; selected: boolean };

/** A node's box: its name, kind and figures as text (names come from spans and brokers: never markup). */
function FlowBox({ data }: NodeProps<Node<FlowNodeData>>) {
  const n = data.node;
  return (
    <div className={`flow-box flow-kind-${n.kind} ${healthClass[n.health]}${data.selected ? " flow-selected" : ""}`} data-testid="flow-node" data-node-id={n.id} data-health={n.health} title={n.healthReason ?? n.name}>
      <Handle type="target" position={Position.Left} />
      <div className="flow-box-name">{n.name}</div>
      <div className="flow-box-kind">{kindLabel[n.kind]}</div>
      {nodeLines(n).map((l) => (
        <div key={l} className="flow-box-line">
          {l}
        </div>
      ))}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const nodeTypes = { box: FlowBox };
const elk = new ELK();
const edgeColour: Record<string, string> = { unknown: "#6e7681", healthy: "#3fb950", degraded: "#d29922", failing: "#f85149" };

/** The map, laid out by elkjs (layered, left to right) and drawn by xyflow; a click selects a node or an edge. */
export function FlowCanvas({ graph, selected, onSelect }: { graph: FlowGraphView; selected: string; onSelect: (id: string | null) => void }) {
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }> | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  const shape = useMemo(() => JSON.stringify(elkInput(graph)), [graph]);
  useEffect(() => {
    let live = true;
    elk
      .layout(JSON.parse(shape))
      .then((r) => {
        if (live) setPositions(new Map((r.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }])));
      })
      .catch((e: unknown) => live && setLayoutError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [shape]);
  if (layoutError) return <p className="error">The graph could not be laid out: {layoutError}</p>;
  const nodes: Node<FlowNodeData>[] = graph.nodes.map((n) => ({ id: n.id, type: "box", position: positions?.get(n.id) ?? { x: 0, y: 0 }, data: { node: n, selected: n.id === selected }, draggable: true }));
  const edges: Edge[] = graph.edges.map((e) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    label: edgeLabel(e),
    animated: e.coupling === "async" && e.kind !== "dead_letter",
    style: { stroke: edgeColour[e.health], strokeWidth: e.id === selected ? 3 : 1.5, strokeDasharray: e.coupling === "async" ? "6 4" : undefined },
    labelStyle: { fontSize: 11 },
    markerEnd: { type: MarkerType.ArrowClosed, color: edgeColour[e.health] },
    data: { health: e.health },
  }));
  return (
    <div className="flow-canvas" data-testid="flow-canvas" aria-busy={positions ? undefined : true}>
      {positions ? (
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          colorMode="dark"
          fitView
          minZoom={0.1}
          onNodeClick={(_, n) => onSelect(n.id)}
          onEdgeClick={(_, e) => onSelect(e.id)}
          onPaneClick={() => onSelect(null)}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      ) : (
        <p className="muted">Laying out the graph…</p>
      )}
    </div>
  );
}
