// Runs once, when MongoDB starts on an empty volume (the image's /docker-entrypoint-initdb.d), as
// the root user: the services' own user, with readWrite on their databases and nothing else.
// A service's database is <AMAN_DATABASE_PREFIX>_<service> (service-kit's Platform); compose
// leaves the prefix at its default, `aman`.
/* global db */
const services = [
  'gateway',
  'intake',
  'risk-assessment',
  'referral',
  'accountability',
  'projections',
];
db.getSiblingDB('admin').createUser({
  user: process.env.MONGO_APP_USERNAME,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: services.map((service) => ({
    role: 'readWrite',
    db: `aman_${service.replaceAll('-', '_')}`,
  })),
});
