/* Fixture for scripts/coccinelle/api/dma_direction.cocci: b (variable direction), d (matching) and f (direction chosen by condition) must not be reported. */
static int a(struct device *dev, void *buf, size_t len)
{
	dma_addr_t addr = dma_map_single(dev, buf, len, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, addr))
		return -ENOMEM;
	dma_unmap_single(dev, addr, len, DMA_FROM_DEVICE);
	return 0;
}
static int b(struct device *dev, void *buf, size_t len, int dir)
{
	dma_addr_t addr = dma_map_single(dev, buf, len, dir);

	dma_unmap_single(dev, addr, len, DMA_FROM_DEVICE);
	return 0;
}
static int c(struct device *dev, struct sg_table *sgt, struct scatterlist *sg, int n)
{
	int ret = dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
	int cnt;

	if (ret)
		return ret;
	cnt = dma_map_sg(dev, sg, n, DMA_FROM_DEVICE);
	dma_unmap_sg(dev, sg, n, DMA_TO_DEVICE);
	dma_unmap_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
	return 0;
}
static int d(struct device *dev, struct page *page, size_t len)
{
	dma_addr_t addr = dma_map_page(dev, page, 0, len, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, addr))
		return -ENOMEM;
	dma_unmap_page(dev, addr, len, DMA_TO_DEVICE);
	addr = dma_map_page(dev, page, 0, len, DMA_FROM_DEVICE);
	dma_unmap_page(dev, addr, len, DMA_FROM_DEVICE);
	return 0;
}
static int f(struct device *dev, struct req *areq, int ns)
{
	int n;

	if (areq->src == areq->dst) {
		n = dma_map_sg(dev, areq->src, ns, DMA_BIDIRECTIONAL);
	} else {
		n = dma_map_sg(dev, areq->src, ns, DMA_TO_DEVICE);
	}
	if (areq->src == areq->dst)
		dma_unmap_sg(dev, areq->src, ns, DMA_BIDIRECTIONAL);
	else
		dma_unmap_sg(dev, areq->src, ns, DMA_TO_DEVICE);
	return 0;
}
