/** The original's 11 LVM size profiles (mc_cloud_lxc.py; the seed list forgot xxlarge). */
export const SIZES = {
  xxxtrem: '2000g',
  xxtrem: '1000g',
  xtrem: '500g',
  xxxlarge: '100g',
  xxlarge: '50g',
  large: '20g',
  medium: '10g',
  small: '5g',
  xsmall: '3g',
  xxsmall: '1g',
  xxxsmall: '500m',
} as const;

export type SizeName = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as SizeName[];
export const DEFAULT_SIZE: SizeName = 'medium';

export function isSizeName(v: unknown): v is SizeName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(SIZES, v);
}
