import type { SimResult } from "./overlay_sim.ts";

/**
 * A two-panel SVG: the hop-count histogram of the steady-state lookups, and lookup success over
 * time for every churn run. Plain SVG text, no plotting library.
 */
export function renderSimSvg(
  results: ReadonlyArray<SimResult & { name: string }>,
  nodes: number,
): string {
  const width = 900;
  const height = 360;
  const panel = { w: 400, h: 260, top: 50 };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="24" font-size="15">superpeer overlay simulator, N = ${nodes}</text>`,
  ];
  // Panel 1: hops histogram (steady).
  const steady = results.find((r) => r.scenario === "steady") ?? results[0];
  if (steady) {
    const hist = steady.hopsHistogram;
    const total = hist.reduce((a, b) => a + b, 0) || 1;
    const max = Math.max(...hist, 1);
    const x0 = 50;
    const bw = panel.w / Math.max(hist.length, 1);
    out.push(
      `<text x="${x0}" y="${panel.top - 8}">Lookup hops (${steady.name}, mean ${
        steady.meanHops.toFixed(2)
      })</text>`,
    );
    out.push(
      `<line x1="${x0}" y1="${panel.top + panel.h}" x2="${x0 + panel.w}" y2="${
        panel.top + panel.h
      }" stroke="black"/>`,
    );
    hist.forEach((count, hops) => {
      const h = (count / max) * panel.h;
      const x = x0 + hops * bw;
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${(panel.top + panel.h - h).toFixed(1)}" width="${
          (bw - 4).toFixed(1)
        }" height="${h.toFixed(1)}" fill="#4a7ab5"/>`,
      );
      out.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${
          panel.top + panel.h + 14
        }" text-anchor="middle">${hops}</text>`,
      );
      out.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${
          (panel.top + panel.h - h - 3).toFixed(1)
        }" text-anchor="middle" font-size="10">${((100 * count) / total).toFixed(0)}%</text>`,
      );
    });
  }
  // Panel 2: success rate over time for churn runs.
  const x0 = 500;
  out.push(`<text x="${x0}" y="${panel.top - 8}">Lookup success under churn (30 s windows)</text>`);
  out.push(
    `<rect x="${x0}" y="${panel.top}" width="${
      panel.w - 50
    }" height="${panel.h}" fill="none" stroke="black"/>`,
  );
  const colours = ["#c0392b", "#27ae60", "#2c3e50", "#8e44ad"];
  const churn = results.filter((r) => r.scenario === "churn");
  const tMax = Math.max(1, ...churn.flatMap((r) => r.successOverTime.map(([t]) => t)));
  const tMin = Math.min(tMax, ...churn.flatMap((r) => r.successOverTime.map(([t]) => t)));
  const yOf = (rate: number) => panel.top + panel.h - rate * panel.h; // 0 %..100 %
  for (const rate of [0, 0.5, 0.9, 1]) {
    out.push(
      `<text x="${x0 - 4}" y="${yOf(rate) + 4}" text-anchor="end">${
        (rate * 100).toFixed(0)
      }%</text>`,
    );
  }
  churn.forEach((r, i) => {
    const points = r.successOverTime.map(([t, rate]) => {
      const x = x0 + ((t - tMin) / Math.max(1, tMax - tMin)) * (panel.w - 50);
      return `${x.toFixed(1)},${
        Math.max(panel.top, Math.min(panel.top + panel.h, yOf(rate))).toFixed(1)
      }`;
    });
    out.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${
        colours[i % colours.length]
      }" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${x0 + 10}" y="${panel.top + 16 + 14 * i}" fill="${
        colours[i % colours.length]
      }">${r.name}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
