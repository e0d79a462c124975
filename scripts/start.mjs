// `pnpm start`: runs every service of the embedded mode as its own process on this machine.
// Services join the list below as they are built; until then there is nothing to run.
const services = [];

if (services.length === 0) {
  console.log(
    'Aman: no services yet. The event store, bus, outbox relay and projection runner they will run on are in packages/.',
  );
  console.log('See README.md for what exists and how to run the tests.');
}
