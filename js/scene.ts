/**
 * The scene Python lays out (vsm_widget.presentation.scene): every drawn node with its
 * box, accessible name and shapes. The canvas draws it as it is and never lays out.
 */

/** One primitive: `t` is the SVG tag; every key not listed here is an SVG attribute. */
export interface SceneShape {
  t: string;
  /** Role classes: colour, font size and weight follow them. */
  c?: string;
  /** The field this text shows (double-click edits it). */
  f?: string;
  /** The metric this text shows. */
  m?: string;
  tip?: string;
  text?: string;
  spans?: [number, number, string][];
  kids?: SceneShape[];
  /** "@arrow": an arrow head at the end. */
  marker?: string;
  [attr: string]: unknown;
}

export type Layer = "timeline" | "links" | "nodes" | "bursts" | "slots";
/** Drawing order of the layers, bottom to top. */
export const LAYERS: Layer[] = ["timeline", "links", "nodes", "bursts", "slots"];
export type BoxList = [number, number, number, number];

export interface SceneNode {
  key: string;
  id: string | null;
  kind: string;
  layer: Layer;
  box: BoxList;
  label: string;
  shapes: SceneShape[];
  role?: string;
  tip?: string;
  drag?: boolean;
  /** The element this node moves with while that is dragged. */
  follows?: string;
  /** The elements a connector joins (it fades while one of them is dragged). */
  ends?: string[];
  /** Computed figures of the element, formatted by Python, for the details panel. */
  figures?: [string, string][];
  /** An insertion handle (kind "slot"): the place in the stream where it adds. */
  place?: { after?: string; before?: string; branch?: string };
  /** Whether a gap may be added at this handle (two gaps never stand side by side). */
  gaps?: boolean;
}

export interface Scene {
  version: number;
  title: string;
  bounds: BoxList;
  nodes: SceneNode[];
  /** Seconds in one "d" of the map (a working day unless the map counts calendar days). */
  day?: number;
  /** How many patches led to this scene (a whole scene with the number the canvas has is no news). */
  rev?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The scene shape this canvas draws. */
export const SCENE_VERSION = 1;

export function emptyScene(): Scene {
  return { version: SCENE_VERSION, title: "Value stream", bounds: [0, 0, 900, 500], nodes: [] };
}

export function toBox(list: BoxList): Box {
  return { x: list[0], y: list[1], w: list[2], h: list[3] };
}

/** The scene from a trait value, or an empty one if it is missing or of another version. */
export function readScene(value: unknown): Scene {
  const scene = value as Scene | null | undefined;
  if (!scene || typeof scene !== "object" || scene.version !== SCENE_VERSION || !Array.isArray(scene.nodes)) return emptyScene();
  return scene;
}

/** A change of the scene, by node key: nodes to put in (new or changed) and keys to take out. */
export interface ScenePatch {
  upsert: SceneNode[];
  remove: string[];
  /** Every key in drawing order, when the order changed. */
  order?: string[];
  bounds: BoxList;
  title: string;
  day?: number;
  rev?: number;
}

/** Apply a patch to a scene: a new scene object; unchanged nodes stay the same objects. */
export function applyPatch(scene: Scene, patch: ScenePatch): Scene {
  const byKey = new Map(scene.nodes.map((n) => [n.key, n]));
  for (const key of patch.remove) byKey.delete(key);
  const added: SceneNode[] = [];
  for (const node of patch.upsert) {
    if (!byKey.has(node.key)) added.push(node);
    byKey.set(node.key, node);
  }
  let nodes: SceneNode[];
  if (patch.order) nodes = patch.order.map((key) => byKey.get(key)).filter((n): n is SceneNode => Boolean(n));
  else {
    const gone = new Set(patch.remove);
    nodes = scene.nodes.filter((n) => !gone.has(n.key)).map((n) => byKey.get(n.key) as SceneNode);
    nodes.push(...added);
  }
  return { version: scene.version, title: patch.title, bounds: patch.bounds, day: patch.day ?? scene.day, rev: patch.rev, nodes };
}
