/** The principal name of what the referral service does by itself (routing, delivery). */
export const REFERRAL_SERVICE = 'referral';
