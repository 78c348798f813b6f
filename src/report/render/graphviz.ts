// DOT → SVG with Graphviz itself (its WebAssembly build, @viz-js/viz): the layout is
// Graphviz's `dot`, not ours. The instance is made once per process (it compiles the wasm).
type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>;
let viz: Promise<Viz> | undefined;

/** The SVG Graphviz's `dot` lays out for `dot`; a Graphviz error is an internal one. */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const why = result.errors.map((e) => e.message).join('; ');
    throw new Error(`internal: Graphviz could not lay out the diagram: ${why}`);
  }
  return result.output;
}
