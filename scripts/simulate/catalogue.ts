/**
 * The simulated shop: a small gift and homeware catalogue (GBP), and the lists customers' names
 * and timezones are drawn from. Fixed data, so a seed always means the same shop.
 */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly price: number;
}

const RAW: ReadonlyArray<readonly [string, string, number]> = [
  ['Kitchen', 'Enamel mug', 8.5],
  ['Kitchen', 'Stoneware teapot', 24],
  ['Kitchen', 'Linen tea towel', 7.5],
  ['Kitchen', 'Oak chopping board', 32],
  ['Kitchen', 'Cast iron skillet', 45],
  ['Kitchen', 'Spice jar set', 18],
  ['Kitchen', 'Copper measuring cups', 22],
  ['Home', 'Wool throw', 65],
  ['Home', 'Cushion cover', 19],
  ['Home', 'Scented candle', 14],
  ['Home', 'Ceramic vase', 29],
  ['Home', 'Wall clock', 38],
  ['Home', 'Photo frame', 12],
  ['Home', 'Doormat', 21],
  ['Lighting', 'Brass desk lamp', 79],
  ['Lighting', 'Paper lantern', 16],
  ['Lighting', 'String lights', 13],
  ['Lighting', 'Glass pendant', 95],
  ['Garden', 'Herb planter', 17],
  ['Garden', 'Watering can', 26],
  ['Garden', 'Bird feeder', 15],
  ['Garden', 'Garden kneeler', 11],
  ['Garden', 'Pruning shears', 23],
  ['Stationery', 'Linen notebook', 9],
  ['Stationery', 'Fountain pen', 42],
  ['Stationery', 'Greeting cards (6)', 10],
  ['Stationery', 'Wrapping paper roll', 5.5],
  ['Stationery', 'Desk organiser', 27],
  ['Toys', 'Wooden puzzle', 14],
  ['Toys', 'Knitted rabbit', 19],
  ['Toys', 'Marble run', 34],
  ['Toys', 'Kite', 21],
  ['Bath', 'Bath towel', 24],
  ['Bath', 'Soap gift set', 16],
  ['Bath', 'Bamboo bath mat', 28],
  ['Bath', 'Hand cream', 12],
];

export const CATALOGUE: readonly Product[] = RAW.map(([category, name, price], i) => ({
  sku: `SKU-${String(i + 1).padStart(3, '0')}`,
  name,
  category,
  price,
}));

/** Products at or above this price are what high-value customers favour. */
export const PREMIUM_PRICE = 30;

export const FIRST_NAMES: readonly string[] = [
  'Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farah', 'George', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lena',
  'Maya', 'Noah', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tom', 'Una', 'Vik', 'Wen', 'Yusuf', 'Zoe',
];

/** Timezones with their standard UTC offset in hours (DST ignored: it only shifts visit hours). */
export const TIMEZONES: ReadonlyArray<readonly [string, number, number]> = [
  // [IANA name, UTC offset, weight]
  ['Europe/London', 0, 45],
  ['Europe/Dublin', 0, 5],
  ['Europe/Paris', 1, 12],
  ['Europe/Berlin', 1, 10],
  ['Europe/Madrid', 1, 5],
  ['America/New_York', -5, 10],
  ['America/Chicago', -6, 4],
  ['America/Los_Angeles', -8, 4],
  ['Asia/Singapore', 8, 2],
  ['Australia/Sydney', 10, 3],
];

export const COUPONS = {
  welcome: { code: 'WELCOME10', rate: 0.1 },
  seasonal: { code: 'SEASON15', rate: 0.15 },
  loyalty: { code: 'THANKYOU5', rate: 0.05 },
} as const;

export const SHOP_URL = 'https://shop.example.test';
export const NEWSLETTER_FROM = 'Winback Shop <news@shop.example.test>';
