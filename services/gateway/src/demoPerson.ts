/** The demo's defender: a synthetic person, never a real name from the context document. */
export const DEMO_DEFENDER = {
  fullName: 'Parwana Testfall-Canary',
  phone: '+93 700 000 111',
  place: 'Testvillage, District 9',
} as const;
