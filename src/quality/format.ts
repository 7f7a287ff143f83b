/** "12.5 %": how the rules' messages show a fraction. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}
