// A QR code drawn as SVG squares from uqr's module matrix: no image request,
// no HTML strings, and the secret never leaves the page.
import { encode } from 'uqr';

export function QRCode({ text, label, size = 200 }: { text: string; label: string; size?: number }) {
  const { data } = encode(text, { ecc: 'M', border: 2 });
  const n = data.length;
  const cells: preact.JSX.Element[] = [];
  data.forEach((row, y) => row.forEach((on, x) => {
    if (on) cells.push(<rect x={x} y={y} width={1} height={1} />);
  }));
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${n} ${n}`} width={size} height={size} shape-rendering="crispEdges">
      <rect width={n} height={n} fill="#fff" />
      <g fill="#000">{cells}</g>
    </svg>
  );
}
