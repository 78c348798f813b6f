// SVG → PNG with resvg (its WebAssembly build, @resvg/resvg-wasm): a real SVG renderer, the
// same pixels on every machine. WebAssembly has no system fonts, so the renderer is given
// DejaVu Sans from the `dejavu-fonts-ttf` package; the diagrams and plots name that font.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

type ResvgModule = typeof import('@resvg/resvg-wasm');
let ready: Promise<{ resvg: ResvgModule; fonts: Uint8Array[] }> | undefined;

async function load(): Promise<{ resvg: ResvgModule; fonts: Uint8Array[] }> {
  const require = createRequire(import.meta.url);
  const resvg = await import('@resvg/resvg-wasm');
  await resvg.initWasm(readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
  const fontDir = require
    .resolve('dejavu-fonts-ttf/package.json')
    .replace(/package\.json$/, 'ttf/');
  const fonts = await Promise.all(
    ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map(
      async (f) => new Uint8Array(await readFile(fontDir + f)),
    ),
  );
  return { resvg, fonts };
}

export interface PngOptions {
  /** pixels per SVG unit (default 2: sharp on high-density screens) */
  readonly scale?: number;
  /** default white; plots and diagrams have transparent backgrounds otherwise */
  readonly background?: string;
}

/** The PNG bytes of an SVG document. */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  ready ??= load();
  const { resvg, fonts } = await ready;
  const r = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: options.background ?? 'white',
    font: {
      fontBuffers: fonts,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      serifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans',
    },
  });
  try {
    const image = r.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    r.free();
  }
}
