/** A held-out set of generated photo-like scenes (people, hair, animal fur, plants, a car, products), never used to tune the int8 recipe. */
// Each scene is drawn as SVG (librsvg via sharp) over a blurred, textured background with sensor-like noise
// and written as JPEG, so the model sees soft edges, fine structures and texture as in photos. Seeds and
// shapes differ from the calibration images (graph/calibration-images.ts); nothing here feeds calibration
// or a recipe choice: the bench reports on it after the recipe was chosen on the shared photos and on a
// further draws of the same scenes from other seeds (`TUNING_SEEDS`: other strands, colours and layouts).
import sharp from 'sharp';
import type { BenchImage } from './images.ts';
import { rng } from '../src/engine/seeded-random.ts';

type Rand = () => number;
const W = 1000,
  H = 750;
const hsl = (h: number, s: number, l: number) => `hsl(${h.toFixed(0)},${s.toFixed(0)}%,${l.toFixed(0)}%)`;
const f = (v: number) => v.toFixed(1);

/** Background: a gradient, soft out-of-focus blobs (bokeh) and a floor line, blurred afterwards. */
function background(r: Rand, hue: number): string {
  const blobs = Array.from(
    { length: 40 },
    () =>
      `<circle cx="${f(r() * W)}" cy="${f(r() * H)}" r="${f(20 + r() * 90)}" fill="${hsl(hue + r() * 80 - 40, 20 + r() * 50, 25 + r() * 60)}" opacity="${(0.3 + r() * 0.5).toFixed(2)}"/>`,
  ).join('');
  return `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${hsl(hue, 30, 70)}"/><stop offset="1" stop-color="${hsl(hue + 30, 25, 30)}"/></linearGradient></defs><rect width="${W}" height="${H}" fill="url(#bg)"/>${blobs}<rect y="${H * 0.72}" width="${W}" height="${H * 0.28}" fill="${hsl(hue + 180, 15, 35)}" opacity="0.6"/>${FG}`;
}
/** Separates the background (blurred, out of focus) from the subject (sharp) in a scene's SVG. */
const FG = '<!--subject-->';

/** Fine strands (hair, fur, grass) from a root region, as thin curved strokes. */
function strands(
  r: Rand,
  n: number,
  at: () => [number, number],
  len: number,
  colour: () => string,
  width = 1.2,
): string {
  return Array.from({ length: n }, () => {
    const [x, y] = at();
    const a = -Math.PI / 2 + (r() - 0.5) * 2.4,
      l = len * (0.5 + r());
    const mx = x + Math.cos(a) * l * 0.5 + (r() - 0.5) * 20,
      my = y + Math.sin(a) * l * 0.5 + (r() - 0.5) * 20;
    return `<path d="M${f(x)},${f(y)} Q${f(mx)},${f(my)} ${f(x + Math.cos(a + (r() - 0.5)) * l)},${f(y + Math.sin(a + (r() - 0.5)) * l)}" stroke="${colour()}" stroke-width="${f(width * (0.5 + r()))}" fill="none"/>`;
  }).join('');
}

const SCENES: Record<string, (r: Rand) => string> = {
  'person-hair': (r) => {
    const skin = hsl(25 + r() * 10, 45, 55 + r() * 15),
      hair = () => hsl(30, 40 + r() * 20, 12 + r() * 20);
    return (
      `${background(r, 200)}<path d="M300,750 C320,560 380,520 500,515 C620,520 680,560 700,750 Z" fill="${hsl(220, 50, 35)}"/>` +
      `<rect x="465" y="420" width="70" height="110" fill="${skin}"/><ellipse cx="500" cy="330" rx="105" ry="135" fill="${skin}"/>` +
      `<ellipse cx="460" cy="320" rx="12" ry="7" fill="#333"/><ellipse cx="540" cy="320" rx="12" ry="7" fill="#333"/><path d="M470,400 Q500,420 530,400" stroke="#8a3b3b" stroke-width="5" fill="none"/>` +
      strands(
        r,
        900,
        () => {
          const a = Math.PI * (1.05 + r() * 0.9);
          return [500 + Math.cos(a) * 110, 300 + Math.sin(a) * 140];
        },
        120,
        hair,
        1.5,
      )
    );
  },
  'dog-fur': (r) => {
    const fur = () => hsl(30 + r() * 15, 50, 40 + r() * 30);
    return (
      `${background(r, 100)}<ellipse cx="520" cy="480" rx="230" ry="120" fill="${hsl(35, 50, 50)}"/><ellipse cx="300" cy="360" rx="95" ry="85" fill="${hsl(35, 50, 52)}"/>` +
      `<ellipse cx="240" cy="300" rx="30" ry="60" fill="${hsl(30, 45, 35)}" transform="rotate(-20 240 300)"/><circle cx="275" cy="345" r="9" fill="#111"/><circle cx="215" cy="380" r="13" fill="#111"/>` +
      [360, 430, 600, 680]
        .map((x) => `<rect x="${x}" y="540" width="38" height="150" rx="15" fill="${hsl(35, 45, 45)}"/>`)
        .join('') +
      strands(
        r,
        1400,
        () => {
          const a = r() * Math.PI * 2;
          return [520 + Math.cos(a) * 230 * Math.sqrt(r()), 480 + Math.sin(a) * 120 * Math.sqrt(r())];
        },
        35,
        fur,
        1.3,
      ) +
      strands(r, 300, () => [750 + r() * 20, 430 + r() * 20], 110, fur, 2)
    );
  },
  'potted-plant': (r) => {
    const leaves = Array.from({ length: 70 }, () => {
      const a = -Math.PI / 2 + (r() - 0.5) * 2.6,
        d = 60 + r() * 230,
        x = 500 + Math.cos(a) * d,
        y = 430 + Math.sin(a) * d * 0.9;
      return `<path d="M500,430 L${f(x)},${f(y)}" stroke="${hsl(100, 40, 30)}" stroke-width="2"/><ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(10 + r() * 22)}" ry="${f(4 + r() * 8)}" transform="rotate(${f((a * 180) / Math.PI)} ${f(x)} ${f(y)})" fill="${hsl(95 + r() * 40, 45 + r() * 30, 22 + r() * 30)}"/>`;
    }).join('');
    return `${background(r, 30)}${leaves}<path d="M420,430 L580,430 L560,620 L440,620 Z" fill="${hsl(15, 55, 45)}"/><rect x="410" y="420" width="180" height="22" fill="${hsl(15, 50, 38)}"/>`;
  },
  'car-street': (r) => {
    const body = hsl(r() * 360, 60, 40);
    return (
      `${background(r, 210)}<rect y="560" width="${W}" height="190" fill="#555"/><path d="M150,560 L170,470 Q190,440 260,430 L360,350 Q400,330 520,330 L640,335 Q700,340 750,420 L860,440 Q890,450 890,500 L880,560 Z" fill="${body}"/>` +
      `<path d="M380,365 L520,350 L520,425 L300,430 Z" fill="${hsl(200, 30, 75)}" opacity="0.85"/><path d="M540,350 L640,355 L710,425 L540,425 Z" fill="${hsl(200, 30, 70)}" opacity="0.85"/>` +
      [290, 720]
        .map(
          (x) =>
            `<circle cx="${x}" cy="560" r="62" fill="#161616"/><circle cx="${x}" cy="560" r="34" fill="#aaa"/>` +
            Array.from(
              { length: 10 },
              (_, k) =>
                `<path d="M${x},560 L${f(x + Math.cos(k * 0.628) * 32)},${f(560 + Math.sin(k * 0.628) * 32)}" stroke="#666" stroke-width="3"/>`,
            ).join(''),
        )
        .join('') +
      `<ellipse cx="860" cy="470" rx="14" ry="9" fill="#ffd"/><rect x="150" y="500" width="25" height="18" fill="#d33"/>`
    );
  },
  'product-bottle': (r) => {
    const glass = hsl(140 + r() * 60, 40, 35);
    return (
      `${background(r, 45)}<defs><linearGradient id="b" x1="0" x2="1"><stop offset="0" stop-color="${glass}"/><stop offset="0.3" stop-color="#fff" stop-opacity="0.7"/><stop offset="0.45" stop-color="${glass}"/><stop offset="1" stop-color="#111"/></linearGradient></defs>` +
      `<ellipse cx="500" cy="690" rx="150" ry="22" fill="#000" opacity="0.35"/><path d="M470,110 L530,110 L530,260 Q620,320 620,400 L620,670 Q620,690 600,690 L400,690 Q380,690 380,670 L380,400 Q380,320 470,260 Z" fill="url(#b)"/>` +
      `<rect x="385" y="440" width="230" height="140" fill="${hsl(r() * 360, 70, 85)}"/><text x="500" y="525" font-size="46" text-anchor="middle" font-family="sans-serif" fill="#222">AURUM</text><rect x="465" y="80" width="70" height="40" fill="#c90"/>`
    );
  },
  sneaker: (r) =>
    `${background(r, 300)}<path d="M170,560 Q160,470 250,450 L420,430 Q470,360 560,380 L640,440 Q760,470 830,510 Q860,540 840,580 L180,600 Z" fill="${hsl(r() * 360, 70, 55)}"/>` +
    `<path d="M165,585 L845,565 L850,600 Q600,640 170,625 Z" fill="#eee"/>` +
    Array.from(
      { length: 6 },
      (_, k) =>
        `<path d="M${440 + k * 28},${420 - k * 4} L${470 + k * 28},${470 - k * 2}" stroke="#fff" stroke-width="6"/>`,
    ).join(''),
  'cat-whiskers': (r) => {
    const fur = () => hsl(0, 0, 30 + r() * 50);
    return (
      `${background(r, 160)}<ellipse cx="500" cy="560" rx="190" ry="170" fill="#777"/><circle cx="500" cy="330" r="120" fill="#888"/>` +
      `<path d="M400,260 L420,160 L470,230 Z" fill="#777"/><path d="M600,260 L580,160 L530,230 Z" fill="#777"/><ellipse cx="455" cy="320" rx="18" ry="24" fill="#9c3"/><ellipse cx="545" cy="320" rx="18" ry="24" fill="#9c3"/>` +
      strands(
        r,
        1200,
        () => {
          const a = r() * Math.PI * 2,
            big = r() < 0.6;
          return big
            ? [500 + Math.cos(a) * 190, 560 + Math.sin(a) * 170]
            : [500 + Math.cos(a) * 120, 330 + Math.sin(a) * 120];
        },
        25,
        fur,
        1.2,
      ) +
      Array.from({ length: 12 }, (_, k) => {
        const s = k < 6 ? -1 : 1,
          y = 370 + (k % 6) * 6;
        return `<path d="M${500 + s * 40},${y} Q${500 + s * 130},${y - 10} ${500 + s * 230},${y + (k % 6) * 8 - 15}" stroke="#eee" stroke-width="1.2" fill="none"/>`;
      }).join('')
    );
  },
  bicycle: (r) =>
    `${background(r, 20)}` +
    [300, 700]
      .map(
        (x) =>
          `<circle cx="${x}" cy="500" r="140" stroke="#222" stroke-width="10" fill="none"/>` +
          Array.from(
            { length: 18 },
            (_, k) =>
              `<path d="M${x},500 L${f(x + Math.cos(k * 0.349) * 135)},${f(500 + Math.sin(k * 0.349) * 135)}" stroke="#999" stroke-width="1.5"/>`,
          ).join(''),
      )
      .join('') +
    `<path d="M300,500 L450,330 L640,330 L700,500 M450,330 L500,500 L640,330 M500,500 L300,500" stroke="${hsl(r() * 360, 70, 45)}" stroke-width="12" fill="none"/><path d="M430,300 L480,300 M640,330 L630,270 L690,260" stroke="#222" stroke-width="10" fill="none"/>`,
};

/** Adds zero-mean Gaussian-ish noise (sensor grain) to raw RGB. */
function grain(raw: Buffer, r: Rand, sigma: number): Buffer {
  for (let i = 0; i < raw.length; i++)
    raw[i] = Math.max(0, Math.min(255, raw[i]! + (r() + r() + r() - 1.5) * sigma * 2));
  return raw;
}

/**
 * Seeds of the held-out set (report only) and of further draws of the same scenes that may be tuned on:
 * five of them, since how hard a draw is depends more on the draw than on the scene kind (one tuning draw
 * was easy for every recipe; the five together hold a cat at IoU 0.70, engine README).
 */
export const HELDOUT_SEED = 9000;
/**
 * Further held-out draws, first drawn to check int8's fp32 fallback after its rule was chosen: never looked at
 * before. 9100 and 9200 were drawn in the stop that chose the rule, 9300–9500 in the next one.
 */
export const FRESH_HELDOUT_SEEDS = [9100, 9200, 9300, 9400, 9500];
/**
 * The validation draws of recipe v6 and its 2.5 % fallback rule, first drawn after both were committed (afa73ac):
 * 9600–10000 first, 10100–10500 after those had been reported on. The draws above, all looked at by then, chose
 * v6; these only report on it.
 */
export const VALIDATION_SEEDS = [9600, 9700, 9800, 9900, 10000, 10100, 10200, 10300, 10400, 10500];
export const TUNING_SEEDS = [8000, 8100, 8200, 8300, 8400];

/** A drawn scene and its ground truth. */
export interface GeneratedScene extends BenchImage {
  /** The subject's own coverage, 1 byte per pixel at the image's size: the true matte, before blur and grain. */
  matte: Buffer;
}

/** The scenes drawn from `seed` as JPEGs (1000×750, 0.75 MP), deterministic, each with its true matte. */
export async function generatedScenes(seed: number): Promise<GeneratedScene[]> {
  return Promise.all(
    Object.entries(SCENES).map(async ([name, draw], k) => {
      const r = rng(seed + k);
      const [bg, fg] = draw(r).split(FG) as [string, string];
      const svg = (body: string) =>
        Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${body}</svg>`);
      // The background alone, out of focus; the subject (with its own defs) sharp on top.
      const defs = /<defs>[\s\S]*?<\/defs>/g;
      const soft = await sharp(svg(bg)).blur(5).png().toBuffer();
      const subject = await sharp(svg((bg.match(defs) ?? []).join('') + fg))
        .png()
        .toBuffer();
      const full = await sharp(soft)
        .composite([{ input: subject }])
        .removeAlpha()
        .raw()
        .toBuffer();
      const data = await sharp(grain(full, r, 4), { raw: { width: W, height: H, channels: 3 } })
        .blur(0.6)
        .jpeg({ quality: 88 })
        .toBuffer();
      const matte = await sharp(subject).extractChannel(3).raw().toBuffer();
      return { name: `${name}.jpg`, data, width: W, height: H, megapixels: (W * H) / 1e6, matte };
    }),
  );
}

/** The held-out scenes: never used to choose a recipe. */
export const heldoutImages = () => generatedScenes(HELDOUT_SEED);
